"""ROC and precision-recall curves of one score against a binary truth, and the areas under them.

Written in numpy, not taken from scikit-learn: ``sklearn.metrics`` imports scipy.stats, about 0.7 s of start-up,
a sixth of a small data set's whole ``train`` job, for what is a sort and two cumulative sums here. The values
are scikit-learn's (``roc_curve`` with its default ``drop_intermediate``, ``precision_recall_curve``, ``auc``,
``average_precision_score``); tests/evaluation/test_ranking.py checks them against scikit-learn itself.
"""
from __future__ import annotations

import numpy as np


def _counts_by_threshold(truth, score) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False and true positives when predicting positive at or above each distinct score, highest first."""
    truth, score = np.asarray(truth, bool), np.asarray(score, np.float64)
    if truth.ndim != 1 or truth.shape != score.shape or truth.size == 0:
        raise ValueError(f"need one truth and one score per example, got {truth.shape} and {score.shape}")
    order = np.argsort(score, kind="mergesort")[::-1]
    score, truth = score[order], truth[order]
    last_of_each_score = np.r_[np.flatnonzero(np.diff(score)), truth.size - 1]
    true_positives = np.cumsum(truth, dtype=np.float64)[last_of_each_score]
    false_positives = 1 + last_of_each_score - true_positives
    return false_positives, true_positives, score[last_of_each_score]


def _both_classes(truth) -> None:
    truth = np.asarray(truth, bool)
    if truth.all() or not truth.any():
        raise ValueError("a ROC or precision-recall curve needs both positive and negative examples")


def roc_curve(truth, score) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(false positive rate, true positive rate, thresholds), the thresholds falling from +inf; points on a
    straight segment between two others are dropped, as they change neither the curve nor its area."""
    _both_classes(truth)
    fps, tps, thresholds = _counts_by_threshold(truth, score)
    if len(fps) > 2:
        corners = np.flatnonzero(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])
        fps, tps, thresholds = fps[corners], tps[corners], thresholds[corners]
    fps, tps = np.r_[0.0, fps], np.r_[0.0, tps]
    return fps / fps[-1], tps / tps[-1], np.r_[np.inf, thresholds]


def precision_recall_curve(truth, score) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(precision, recall, thresholds), recall falling; the last point is (precision 1, recall 0), with no
    threshold of its own."""
    _both_classes(truth)
    fps, tps, thresholds = _counts_by_threshold(truth, score)
    precision = tps / (tps + fps)  # every threshold predicts at least one example positive: never 0/0
    recall = tps / tps[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thresholds[::-1]


def auc(x, y) -> float:
    """Area under a curve by the trapezoidal rule, for x rising (a ROC curve)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if len(x) < 2 or np.any(np.diff(x) < 0):
        raise ValueError("auc needs at least two points with x rising")
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))


def average_precision(truth, score) -> float:
    """The precision-recall curve's step-wise area: precision at each threshold weighted by the recall it adds."""
    precision, recall, _ = precision_recall_curve(truth, score)
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))
