"""Confidences you can act on: temperature scaling, a tuned binary decision threshold, and abstention.

Temperature scaling (Guo et al. 2017) divides every logit by one number T fitted on the validation split to
minimise its negative log-likelihood. Argmax predictions are unchanged; only the confidences move, so a
model that is too sure (T > 1) or too shy (T < 1) reports probabilities that match its hit rate. The fitted
T is used only when it also lowers NLL on validation texts it was not fitted on (``choose_temperature``).
The binary decision threshold is the positive class's (calibrated) probability above which a text is called
positive, chosen on validation for an objective: the best F1, or the highest recall at a precision floor
(``precision:0.95``), or the highest precision at a recall floor (``recall:0.9``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError

UNCERTAIN = "uncertain"  # the reserved label of an abstention
LOG_T_RANGE = (-4.0, 4.0)  # T from 0.018 to 55: wider than any temperature seen in practice
CHECK_FOLDS = 5


def log_softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    # NumPy, not torch: the torch-free runtime (textclass.runtime) calibrates exported models with it too.
    scaled = np.asarray(logits, np.float64) / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    return scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    return np.exp(log_softmax(logits, temperature))


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    labels = np.asarray(labels, np.int64)
    return float(-log_softmax(logits, temperature)[np.arange(len(labels)), labels].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float | None:
    """The T minimising validation NLL, by golden-section search over log T; None when no finite T does.

    When every validation text is classified correctly, NLL keeps falling as T goes to 0 (every confidence
    to 1): the data then say nothing about how sure the model should be, and None leaves the softmax as it is.

    NLL(T) is convex in 1/T (a log-sum-exp of linear functions of 1/T, minus a linear term), hence unimodal in
    log T, so a bracketing search needs no step size or starting point and cannot diverge, unlike LBFGS on a
    nearly flat curve (a validation set the model already fits perfectly drives T towards 0).
    """
    logits = np.asarray(logits, np.float64)
    if len(logits) == 0:
        raise ConfigError("cannot fit a temperature on zero validation texts")
    if (logits.argmax(1) == np.asarray(labels)).all():
        return None
    low, high = LOG_T_RANGE
    ratio = (math.sqrt(5) - 1) / 2
    a, b = high - ratio * (high - low), low + ratio * (high - low)
    fa, fb = nll(logits, labels, math.exp(a)), nll(logits, labels, math.exp(b))
    while high - low > 1e-4:
        if fa <= fb:
            high, b, fb = b, a, fa
            a = high - ratio * (high - low)
            fa = nll(logits, labels, math.exp(a))
        else:
            low, a, fa = a, b, fb
            b = low + ratio * (high - low)
            fb = nll(logits, labels, math.exp(b))
    return float(math.exp((low + high) / 2))


def held_out_nll_gain(logits: np.ndarray, labels: np.ndarray, folds: int = CHECK_FOLDS) -> float:
    """Mean NLL per text that a temperature saves on texts it was not fitted on: the validation split cut into
    ``folds`` parts (a fixed shuffle), a temperature fitted on all parts but one, scored against T = 1 on
    that one. Positive: temperature scaling generalises on this model; at or below 0 it only fits noise."""
    logits, labels = np.asarray(logits, np.float64), np.asarray(labels, np.int64)
    part = np.random.default_rng(0).permutation(len(labels)) % max(min(folds, len(labels)), 1)
    saved = 0.0
    for k in np.unique(part):
        fit_on, held_out = part != k, part == k
        temperature = fit_temperature(logits[fit_on], labels[fit_on]) if fit_on.any() else None
        if temperature is not None:
            saved += (nll(logits[held_out], labels[held_out]) - nll(logits[held_out], labels[held_out], temperature)
                      ) * held_out.sum()
    return float(saved / len(labels))


def choose_temperature(logits: np.ndarray, labels: np.ndarray) -> tuple[float | None, float | None, float | None]:
    """``(temperature to use, temperature fitted, held-out gain)``: the NLL-minimising temperature on the whole
    validation split when, fitted on part of it, it lowers NLL on the rest (``held_out_nll_gain`` > 0), else
    1.0; all None when no finite temperature exists (``fit_temperature``).

    A temperature fitted on ~1,000 texts always lowers their own NLL a little, even for a model that is
    already calibrated, and then its noise is all that changes: on BANKING77 (1,000 validation texts, `ngram`,
    T 0.90-1.06) every seed's test NLL and ECE were worse after scaling than before (BENCHMARKS.md). A model
    that really is over- or under-confident gains on held-out folds, and keeps its temperature.
    """
    temperature = fit_temperature(logits, labels)
    if temperature is None:
        return None, None, None
    gain = held_out_nll_gain(logits, labels)
    return (temperature if gain > 0 else 1.0), temperature, gain


@dataclass(frozen=True)
class ThresholdObjective:
    """``f1``, ``precision:P`` or ``recall:R`` (P, R in (0, 1])."""

    kind: str
    target: float | None = None

    @classmethod
    def parse(cls, value: str) -> "ThresholdObjective":
        kind, _, number = value.partition(":")
        if kind == "f1" and not number:
            return cls("f1")
        if kind in ("precision", "recall") and number:
            try:
                target = float(number)
            except ValueError:
                target = -1.0
            if 0 < target <= 1:
                return cls(kind, target)
        raise ConfigError(f"threshold_objective must be f1, precision:P or recall:R with 0 < P, R <= 1; "
                          f"got {value!r}")

    def __str__(self) -> str:
        return self.kind if self.target is None else f"{self.kind}:{self.target:g}"


def tune_threshold(positive_proba: np.ndarray, is_positive: np.ndarray, objective: str) -> dict:
    """The decision threshold on the positive class's probability that best meets ``objective`` on these
    (validation) examples, with the precision, recall and F1 it reaches there.

    Candidate thresholds are the observed probabilities (a text is positive when its probability is >= the
    threshold). A floor no threshold reaches falls back to the best F1, and says so in ``met``.
    """
    goal = ThresholdObjective.parse(objective)
    proba = np.asarray(positive_proba, np.float64)
    truth = np.asarray(is_positive, bool)
    order = np.argsort(-proba, kind="stable")
    proba, truth = proba[order], truth[order]
    # Cutting after each distinct probability: the top k texts are called positive.
    last_of_run = np.flatnonzero(np.r_[proba[1:] != proba[:-1], True])
    tp = np.cumsum(truth)[last_of_run]
    called = last_of_run + 1
    positives = max(int(truth.sum()), 1)
    precision, recall = tp / called, tp / positives
    f1 = np.divide(2 * tp, called + positives)
    met = True
    if goal.kind == "f1":
        best = int(np.argmax(f1))
    else:
        reached = (precision if goal.kind == "precision" else recall) >= goal.target - 1e-12
        if reached.any():
            other = recall if goal.kind == "precision" else precision
            best = int(np.flatnonzero(reached)[np.argmax(other[reached])])
        else:
            met, best = False, int(np.argmax(f1))
    return {"threshold": float(proba[last_of_run[best]]), "objective": str(goal), "met": met,
            "valid_precision": float(precision[best]), "valid_recall": float(recall[best]),
            "valid_f1": float(f1[best])}


def decide(proba: np.ndarray, threshold: float | None = None) -> np.ndarray:
    """Class indices: argmax, or for two classes with a threshold, class 1 when its probability >= threshold."""
    proba = np.asarray(proba)
    if threshold is None or proba.shape[1] != 2:
        return proba.argmax(1)
    return (proba[:, 1] >= threshold).astype(np.int64)


def check_abstain_below(value: float | None, labels=()) -> None:
    if value is not None and not 0 <= value <= 1:
        raise ConfigError(f"abstain_below must be a probability in [0, 1], got {value}")
    if value is not None and UNCERTAIN in labels:
        raise ConfigError(f"abstain_below needs the reserved label {UNCERTAIN!r}, but this run has a class of "
                          "that name")


def decisions(proba: np.ndarray, labels, threshold: float | None = None,
              abstain_below: float | None = None) -> tuple[np.ndarray, list[str]]:
    """Chosen class index per row (``decide``) and its label, ``UNCERTAIN`` where the chosen class's
    probability is under ``abstain_below``."""
    check_abstain_below(abstain_below, labels)
    chosen = decide(proba, threshold)
    confidence = np.asarray(proba)[np.arange(len(chosen)), chosen]
    names = [UNCERTAIN if abstain_below is not None and p < abstain_below else labels[i]
             for i, p in zip(chosen.tolist(), confidence.tolist())]
    return chosen, names
