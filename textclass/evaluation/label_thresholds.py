"""Per-label decision thresholds for multi-label prediction, tuned on validation data.

A sigmoid head gives each label a probability; 0.5 is the right cut only for a calibrated model and a
symmetric cost, and rare labels (GoEmotions' ``grief``: 77 of 43,410 texts) seldom reach it. So each label
gets the threshold that maximises its F1 on the validation split.
"""
from __future__ import annotations

import numpy as np

DEFAULT_THRESHOLD = 0.5
# A cut may predict a label for at most this many times as many validation texts as have it. A label the model
# cannot tell from chance reaches its best F1 by being predicted for every text (recall 1 beats any precision
# near the base rate): on 6,000 GoEmotions comments, ``nervousness`` (21 of 5,426 validation texts) got a
# threshold of 0.001 and was then predicted for 74% of test comments. Label sets full of such guesses are
# useless to a reader; the cap bounds each label's guesses to a few times its frequency.
MAX_PREDICTED_PER_POSITIVE = 3


def tune_thresholds(y_true, proba, fallback: float = DEFAULT_THRESHOLD,
                    max_predicted_per_positive: float = MAX_PREDICTED_PER_POSITIVE) -> tuple[np.ndarray, np.ndarray]:
    """``(thresholds, tuned)``: per label, the cut maximising F1 on ``(y_true, proba)``, and whether it was tuned.

    A text is predicted to have label j when ``proba[:, j] >= thresholds[j]``. The cut lies halfway between
    the lowest score kept and the highest one left out, so scores a little off the validation ones fall on
    the same side. Among cuts with equal F1 the highest is taken (fewest positive predictions), and only cuts
    predicting the label for at most ``max_predicted_per_positive`` times its validation texts are considered
    (see MAX_PREDICTED_PER_POSITIVE). A label with no positive text in validation, or with no such cut that
    finds any of its texts, gets ``fallback``: validation says nothing useful about it, so it is neither
    guessed into every prediction nor shut off.
    """
    true = np.asarray(y_true).astype(bool)
    scores = np.asarray(proba, dtype=np.float64)
    if true.shape != scores.shape or true.ndim != 2:
        raise ValueError(f"y_true {true.shape} and proba {scores.shape} must both be [n_texts, n_labels]")
    thresholds = np.full(scores.shape[1], fallback, dtype=np.float64)
    tuned = np.zeros(scores.shape[1], dtype=bool)
    for j in range(scores.shape[1]):
        positives = int(true[:, j].sum())
        if positives == 0:
            continue
        order = np.argsort(-scores[:, j], kind="stable")
        ranked, hits = scores[order, j], np.cumsum(true[order, j])
        # Only cuts between distinct scores can be realised by a threshold: the last row of each tie group.
        ends = np.flatnonzero(np.append(ranked[1:] != ranked[:-1], True))
        ends = ends[ends + 1 <= max_predicted_per_positive * positives]
        if len(ends) == 0:
            continue
        f1 = 2 * hits[ends] / (ends + 1 + positives)
        best = ends[np.flatnonzero(f1 == f1.max())[0]]
        if f1.max() == 0:
            continue
        below = ranked[best + 1] if best + 1 < len(ranked) else 0.0
        thresholds[j], tuned[j] = (ranked[best] + below) / 2, True
    return thresholds, tuned


def apply_thresholds(proba, thresholds) -> np.ndarray:
    """0/1 decisions, [n_texts, n_labels]."""
    return (np.asarray(proba) >= np.asarray(thresholds)[None, :]).astype(np.int8)
