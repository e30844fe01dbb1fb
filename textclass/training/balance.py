"""A balanced decision rule: subtract a share of each class's log prior from its score, chosen on validation.

A model trained on imbalanced data scores rare classes low partly because they are rare; subtracting
``tau * log(prior)`` from the logits (logit adjustment, Menon et al. 2021) moves its decisions towards what a
balanced loss would have learned, at no training cost. ``tau`` is chosen on the validation split among a few
values by the mean of accuracy and macro-F1, so a shift is kept only where it pays on held-out data, and a tie
keeps the smaller shift.
"""
from __future__ import annotations

import numpy as np

TAUS = (0.0, 0.5, 1.0)
# Largest class / smallest class below which "auto" leaves the decisions alone: near-balanced classes have
# little to gain and a small validation split would pick a shift by noise.
AUTO_MIN_IMBALANCE = 3.0
# Fewer training examples of the rarest class than this, and its prior is a guess.
AUTO_MIN_EXAMPLES = 10


def class_offsets(class_counts: np.ndarray, tau: float) -> np.ndarray:
    prior = np.maximum(class_counts, 1) / max(class_counts.sum(), 1)
    return (-tau * np.log(prior)).astype(np.float32)


def choose_shift(valid_logits: np.ndarray, valid_labels: np.ndarray, class_counts: np.ndarray,
                 taus=TAUS) -> tuple[float, list[dict]]:
    """The tau whose shifted validation predictions score best, and every candidate's scores."""
    from ..evaluation import classification_report

    scored = []
    for tau in taus:
        predicted = (valid_logits + class_offsets(class_counts, tau)).argmax(1)
        report = classification_report(valid_labels, predicted, list(range(valid_logits.shape[1])))
        scored.append({"tau": tau, "accuracy": round(report["accuracy"], 4), "macro_f1": round(report["macro_f1"], 4)})
    best = max(scored, key=lambda s: (round(s["accuracy"] + s["macro_f1"], 6), -s["tau"]))
    return best["tau"], scored
