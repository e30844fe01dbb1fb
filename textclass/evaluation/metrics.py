"""Classification metrics computed from integer class indices with numpy.

The returned dict is written verbatim to metrics.json, so its keys and their meaning are a public contract.
"""

from collections.abc import Sequence

import numpy as np

CONFUSION_MAX_CLASSES = 1000


def classification_report(y_true, y_pred, labels: Sequence[str], loss: float | None = None) -> dict:
    """Accuracy, per-class and averaged precision/recall/F1, and the confusion matrix.

    y_true and y_pred hold indices into labels. A class that is never predicted has undefined precision; it is
    reported as 0.0 and listed under "undefined_precision" so a reader can tell "never predicted" from "always
    wrong". A class absent from y_true likewise gets recall 0.0. Every label counts in the macro averages, so
    pass only the labels the model can produce.
    """
    labels = list(labels)
    if not labels:
        raise ValueError("labels must not be empty")
    if len(set(labels)) != len(labels):
        raise ValueError("labels must be unique: per-class results are keyed by label")
    true = _as_indices(y_true, "y_true", len(labels))
    pred = _as_indices(y_pred, "y_pred", len(labels))
    if true.size != pred.size:
        raise ValueError(f"y_true has {true.size} entries but y_pred has {pred.size}")
    if true.size == 0:
        raise ValueError("cannot evaluate zero examples")

    n_classes = len(labels)
    hits = np.bincount(true[true == pred], minlength=n_classes)
    support = np.bincount(true, minlength=n_classes)
    predicted = np.bincount(pred, minlength=n_classes)
    confusion = None
    if n_classes <= CONFUSION_MAX_CLASSES:
        # One bincount over flattened (true, pred) cells is the whole matrix, with no Python loop over rows.
        confusion = np.bincount(true * n_classes + pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)

    precision = _divide_or_zero(hits, predicted)
    recall = _divide_or_zero(hits, support)
    # 2·tp / (support + predicted) equals the harmonic mean of precision and recall wherever that is defined,
    # and is 0 instead of 0/0 when a class is neither present nor predicted.
    f1 = _divide_or_zero(2 * hits, support + predicted)

    n = int(true.size)
    report = {
        "n": n,
        "accuracy": float(hits.sum() / n),
    }
    if loss is not None:
        report["loss"] = float(loss)
    report.update(
        {
            "macro_f1": float(f1.mean()),
            "weighted_f1": _weighted_mean(f1, support),
            "macro_precision": float(precision.mean()),
            "macro_recall": float(recall.mean()),
            "weighted_precision": _weighted_mean(precision, support),
            "weighted_recall": _weighted_mean(recall, support),
            "labels": labels,
            "per_class": {
                label: {
                    "precision": float(precision[i]),
                    "recall": float(recall[i]),
                    "f1": float(f1[i]),
                    "support": int(support[i]),
                }
                for i, label in enumerate(labels)
            },
            "undefined_precision": [label for label, count in zip(labels, predicted) if count == 0],
            # None above CONFUSION_MAX_CLASSES classes: the matrix grows with their square (20,000 classes
            # would be 400 million cells); "top_confusions" lists the most frequent off-diagonal pairs instead.
            "confusion_matrix": None if confusion is None else confusion.tolist(),
            "top_confusions": _top_pairs(true, pred),
        }
    )
    return report


def _top_pairs(true: np.ndarray, pred: np.ndarray, count: int = 10) -> list[list[int]]:
    """[true index, predicted index, examples] of the ``count`` most frequent mistakes, most frequent first."""
    wrong = true != pred
    if not wrong.any():
        return []
    pairs, counts = np.unique(np.stack([true[wrong], pred[wrong]], 1), axis=0, return_counts=True)
    order = np.lexsort((pairs[:, 1], pairs[:, 0], -counts))[:count]
    return [[int(pairs[i, 0]), int(pairs[i, 1]), int(counts[i])] for i in order]


def _as_indices(values, name: str, n_classes: int) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size == 0:
        return array.astype(np.int64)
    # Floats or bools here almost always mean probabilities or logits were passed instead of argmax indices.
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integer class indices, got dtype {array.dtype}")
    low, high = int(array.min()), int(array.max())
    if low < 0 or high >= n_classes:
        raise ValueError(f"{name} holds index {low if low < 0 else high}, outside 0..{n_classes - 1}")
    return array.astype(np.int64)


def _divide_or_zero(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    result = np.zeros(numerator.shape, dtype=np.float64)
    np.divide(numerator, denominator, out=result, where=denominator != 0)
    return result


def _weighted_mean(values: np.ndarray, support: np.ndarray) -> float:
    return float(np.dot(values, support) / support.sum())
