"""How far confidences are from hit rates: NLL, Brier score, expected calibration error, reliability bins,
and the coverage-accuracy trade-off of abstaining under a confidence floor.

ECE uses 15 equal-width bins over the top-class confidence (Guo et al. 2017; Naeini et al. 2015): the
support-weighted mean of |accuracy - mean confidence| over the non-empty bins.
"""
from __future__ import annotations

import numpy as np

ECE_BINS = 15
COVERAGE_FLOORS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def _checked(proba, labels) -> tuple[np.ndarray, np.ndarray]:
    proba, labels = np.asarray(proba, np.float64), np.asarray(labels, np.int64)
    if proba.ndim != 2 or len(proba) != len(labels):
        raise ValueError(f"need probabilities [n, classes] and n labels, got {proba.shape} and {labels.shape}")
    if len(labels) == 0:
        raise ValueError("cannot measure calibration on zero examples")
    return proba, labels


def nll(proba, labels) -> float:
    proba, labels = _checked(proba, labels)
    return float(-np.log(np.clip(proba[np.arange(len(labels)), labels], 1e-300, None)).mean())


def brier(proba, labels) -> float:
    """Mean over examples of the squared distance between the probability vector and the one-hot truth."""
    proba, labels = _checked(proba, labels)
    onehot = np.zeros_like(proba)
    onehot[np.arange(len(labels)), labels] = 1.0
    return float(((proba - onehot) ** 2).sum(1).mean())


def reliability_bins(proba, labels, bins: int = ECE_BINS) -> list[dict]:
    """Per equal-width bin of top-class confidence: its range, count, mean confidence and accuracy."""
    proba, labels = _checked(proba, labels)
    confidence, correct = proba.max(1), proba.argmax(1) == labels
    # Bin i holds (i/bins, (i+1)/bins]; a confidence of exactly 0 cannot occur for a top class.
    index = np.clip(np.ceil(confidence * bins).astype(np.int64) - 1, 0, bins - 1)
    rows = []
    for i in range(bins):
        inside = index == i
        count = int(inside.sum())
        rows.append({"low": i / bins, "high": (i + 1) / bins, "count": count,
                     "confidence": float(confidence[inside].mean()) if count else None,
                     "accuracy": float(correct[inside].mean()) if count else None})
    return rows


def ece(proba, labels, bins: int = ECE_BINS) -> float:
    n = len(labels)
    return float(sum(row["count"] / n * abs(row["accuracy"] - row["confidence"])
                     for row in reliability_bins(proba, labels, bins) if row["count"]))


def calibration_scores(proba, labels) -> dict:
    return {"nll": nll(proba, labels), "brier": brier(proba, labels), "ece": ece(proba, labels)}


def coverage_curve(confidence, correct, floors=COVERAGE_FLOORS) -> list[dict]:
    """For each confidence floor: the share of texts answered (confidence >= floor) and their accuracy."""
    confidence, correct = np.asarray(confidence, np.float64), np.asarray(correct, bool)
    rows = []
    for floor in floors:
        answered = confidence >= floor
        count = int(answered.sum())
        rows.append({"abstain_below": float(floor), "coverage": count / len(confidence) if len(confidence) else 0.0,
                     "accuracy": float(correct[answered].mean()) if count else None, "answered": count})
    return rows
