"""Multi-label metrics from 0/1 indicator matrices, and their plain-text report.

Rows are texts, columns labels; ``y_true[i, j]`` is 1 when text i has label j. The returned dict is written
verbatim to metrics.json (``"task": "multi_label"`` tells it from the single-label report).

Conventions, chosen to agree with scikit-learn where it defines a value:
- per label, precision of a label never predicted, recall of a label never true, and F1 of a label neither
  true nor predicted are 0.0 (scikit-learn's ``zero_division=0``); the first are listed under
  ``undefined_precision``, as in the single-label report;
- samples F1 averages each text's 2|T∩P| / (|T| + |P|); a text with no true and no predicted label is
  right, so it scores 1.0 (scikit-learn's ``average="samples", zero_division=1``).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

LABEL_WIDTH = 30


def multilabel_report(y_true, y_pred, labels: Sequence[str], loss: float | None = None,
                      thresholds: Sequence[float] | None = None) -> dict:
    """Micro, macro and samples F1, per-label P/R/F1, Hamming loss, subset accuracy and label cardinality."""
    labels = list(labels)
    if not labels:
        raise ValueError("labels must not be empty")
    if len(set(labels)) != len(labels):
        raise ValueError("labels must be unique: per-label results are keyed by label")
    true = _indicators(y_true, "y_true", len(labels))
    pred = _indicators(y_pred, "y_pred", len(labels))
    if true.shape != pred.shape:
        raise ValueError(f"y_true has shape {true.shape} but y_pred has {pred.shape}")
    if len(true) == 0:
        raise ValueError("cannot evaluate zero examples")

    hits = (true & pred).sum(0)
    support, predicted = true.sum(0), pred.sum(0)
    precision, recall = _divide_or_zero(hits, predicted), _divide_or_zero(hits, support)
    f1 = _divide_or_zero(2 * hits, support + predicted)
    tp, n_true, n_pred = int(hits.sum()), int(support.sum()), int(predicted.sum())
    per_text_hits = (true & pred).sum(1)
    per_text_total = true.sum(1) + pred.sum(1)
    samples_f1 = np.ones(len(true))
    np.divide(2 * per_text_hits, per_text_total, out=samples_f1, where=per_text_total != 0)

    report = {"task": "multi_label", "n": int(len(true))}
    if loss is not None:
        report["loss"] = float(loss)
    report.update({
        "micro_f1": _ratio(2 * tp, n_true + n_pred),
        "macro_f1": float(f1.mean()),
        "samples_f1": float(samples_f1.mean()),
        "micro_precision": _ratio(tp, n_pred),
        "micro_recall": _ratio(tp, n_true),
        "macro_precision": float(precision.mean()),
        "macro_recall": float(recall.mean()),
        "hamming_loss": float((true != pred).mean()),
        "subset_accuracy": float((true == pred).all(1).mean()),
        "label_cardinality": float(true.sum(1).mean()),
        "predicted_cardinality": float(pred.sum(1).mean()),
        "labels": labels,
        "per_class": {
            label: {"precision": float(precision[j]), "recall": float(recall[j]), "f1": float(f1[j]),
                    "support": int(support[j]), "predicted": int(predicted[j])}
            for j, label in enumerate(labels)
        },
        "undefined_precision": [label for label, count in zip(labels, predicted) if count == 0],
    })
    if thresholds is not None:
        report["thresholds"] = {label: float(t) for label, t in zip(labels, thresholds)}
    return report


def _indicators(values, name: str, n_labels: int) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 2 or array.shape[1] != n_labels:
        raise ValueError(f"{name} must have shape [n_texts, {n_labels}], got {array.shape}")
    if array.size and not np.isin(array, (0, 1)).all():
        # Anything but 0/1 here almost always means probabilities were passed instead of decisions.
        raise ValueError(f"{name} must hold 0/1 indicators (apply the thresholds to probabilities first)")
    return array.astype(bool)


def _divide_or_zero(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    result = np.zeros(numerator.shape, dtype=np.float64)
    np.divide(numerator, denominator, out=result, where=denominator != 0)
    return result


def _ratio(numerator: int, denominator: int) -> float:
    return float(numerator / denominator) if denominator else 0.0


def format_multilabel_report(report: dict, title: str = "Test report") -> str:
    """Headline figures, then one row per label with its threshold when the run tuned them."""
    headline = [
        ("examples", str(report["n"])),
        ("micro F1", f"{report['micro_f1']:.4f}"),
        ("macro F1", f"{report['macro_f1']:.4f}"),
        ("samples F1", f"{report['samples_f1']:.4f}"),
        ("micro precision", f"{report['micro_precision']:.4f}"),
        ("micro recall", f"{report['micro_recall']:.4f}"),
        ("subset accuracy", f"{report['subset_accuracy']:.4f}"),
        ("Hamming loss", f"{report['hamming_loss']:.4f}"),
        ("labels per text", f"{report['label_cardinality']:.3f} true, {report['predicted_cardinality']:.3f} predicted"),
    ]
    if report.get("loss") is not None:
        headline.append(("loss (BCE)", f"{report['loss']:.4f}"))
    width = max(len(name) for name, _ in headline)
    lines = [title, "=" * len(title)] + [f"{name:<{width}}  {value}" for name, value in headline]

    thresholds = report.get("thresholds")
    rows = [(_truncate(label), stats) for label, stats in report["per_class"].items()]
    label_width = max(len("macro avg"), *(len(label) for label, _ in rows))
    columns = ["precision", "recall", "f1", "support", "predicted"] + (["threshold"] if thresholds else [])
    header = f"{'label':<{label_width}}  " + "  ".join(f"{name:>9}" for name in columns)
    table = [header, "-" * len(header)]
    for (label, stats), name in zip(rows, report["per_class"]):
        cells = [f"{stats['precision']:.4f}", f"{stats['recall']:.4f}", f"{stats['f1']:.4f}",
                 str(stats["support"]), str(stats["predicted"])]
        if thresholds:
            cells.append(f"{thresholds[name]:.3f}")
        table.append(f"{label:<{label_width}}  " + "  ".join(f"{cell:>9}" for cell in cells))
    table.append("-" * len(header))
    table.append(f"{'macro avg':<{label_width}}  " + "  ".join(
        f"{value:>9}" for value in (f"{report['macro_precision']:.4f}", f"{report['macro_recall']:.4f}",
                                    f"{report['macro_f1']:.4f}")))
    sections = ["\n".join(lines), "\n".join(table)]
    if report["undefined_precision"]:
        never = ", ".join(_truncate(label) for label in report["undefined_precision"])
        sections.append(f"Never predicted (precision undefined, shown as 0): {never}")
    return "\n\n".join(sections) + "\n"


def _truncate(text: str) -> str:
    return text if len(text) <= LABEL_WIDTH else text[: LABEL_WIDTH - 1] + "…"
