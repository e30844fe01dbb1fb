"""Per-label decision thresholds for multi-label prediction, tuned on validation data.

A sigmoid head gives each label a probability; 0.5 is the right cut only for a calibrated model and a
symmetric cost, and rare labels (GoEmotions' ``grief``: 77 of 43,410 texts) seldom reach it. So each label
gets the threshold that maximises its F1 on the validation split.
"""
from __future__ import annotations

import numpy as np

DEFAULT_THRESHOLD = 0.5


def tune_thresholds(y_true, proba, fallback: float = DEFAULT_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """``(thresholds, tuned)``: per label, the cut maximising F1 on ``(y_true, proba)``, and whether it was tuned.

    A text is predicted to have label j when ``proba[:, j] >= thresholds[j]``. The cut lies halfway between
    the lowest score kept and the highest one left out, so scores a little off the validation ones fall on
    the same side. Among cuts with equal F1 the highest is taken (fewest positive predictions). A label with
    no positive text in validation, or whose best F1 is 0 (no cut finds any of its texts), gets ``fallback``:
    validation says nothing about it, so it is neither guessed into every prediction nor shut off.
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
