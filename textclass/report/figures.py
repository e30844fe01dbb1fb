"""The report's figures, each drawn with matplotlib's object API (no pyplot, no global state) and returned as
a ``data:image/png;base64`` URI, so the HTML needs no other file."""
from __future__ import annotations

import base64
import io

import numpy as np

from ..evaluation.calibration_metrics import reliability_bins
from ..evaluation.ranking import auc, average_precision, precision_recall_curve, roc_curve

MAX_CURVES = 10  # one-vs-rest curves drawn individually; beyond that only the micro average is legible
# Margins in inches around the axes, set by hand rather than by constrained layout: that layout measures every
# text once more and makes savefig draw the whole figure twice (0.3 s of the report's 1.2 s on a 2-class run;
# 2.5 s of 3.6 s on BANKING77's 77 classes, whose confusion matrix and per-class bars carry 231 class names).
# Where the data's class names sit on an axis, that margin is the widest name, measured (``_names_inches``).
MARGINS = {"left": 0.9, "right": 0.15, "bottom": 0.55, "top": 0.15, "title": 0.25, "between": 0.9}
AXIS_LABEL = 0.45  # an axis's own label ("true", "predicted") and the gap between it and the tick labels
COLORBAR = 1.1  # the colorbar beside a heat map, its ticks and its label


def _names_inches(names: list[str], fontsize: float) -> float:
    """The widest of ``names`` as tick labels at ``fontsize`` (the Agg renderer's measure), in inches."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    renderer, font = RendererAgg(1, 1, 72), FontProperties(size=fontsize)  # at 72 dpi a pixel is a point
    widest = max((renderer.get_text_width_height_descent(str(name), font, ismath=False)[0] for name in names),
                 default=0.0)
    return widest / 72 + 0.15  # the tick, its gap to the label and a little air


def _figure(width: float, height: float, columns: int = 1, *, titled: bool = True, **margins: float):
    """A Figure and its ``columns`` axes (one axes, not a list, for one column); ``titled``: room for axes titles;
    ``margins`` (inches) replace the defaults of ``MARGINS`` by name."""
    from matplotlib.figure import Figure

    margin = {**MARGINS, **margins}
    figure = Figure(figsize=(width, height), dpi=100)
    axes_width = (width - margin["left"] - margin["right"] - (columns - 1) * margin["between"]) / columns
    figure.subplots_adjust(left=margin["left"] / width, right=1 - margin["right"] / width,
                           bottom=margin["bottom"] / height,
                           top=1 - (margin["top"] + titled * margin["title"]) / height,
                           wspace=margin["between"] / axes_width)
    return figure, figure.subplots(1, columns)


def _uri(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def training_curves(history: list[dict], best_epoch: int | None) -> str | None:
    if not history:
        return None
    figure, (loss_axes, accuracy_axes) = _figure(9, 3.5, 2, titled=False)
    epochs = [row["epoch"] for row in history]
    for axes, key, name in ((loss_axes, "loss", "loss"), (accuracy_axes, "accuracy", "accuracy")):
        axes.plot(epochs, [row[f"train_{key}"] for row in history], "o-", label="train")
        if f"valid_{key}" in history[0]:
            axes.plot(epochs, [row[f"valid_{key}"] for row in history], "s-", label="validation")
        if best_epoch is not None:
            axes.axvline(best_epoch, color="grey", linestyle=":", label=f"kept epoch {best_epoch}")
        axes.set_xlabel("epoch")
        axes.set_ylabel(name)
        axes.legend()
    return _uri(figure)


def confusion_heatmap(matrix: list[list[int]], labels: list[str]) -> str:
    counts = np.asarray(matrix, dtype=np.float64)
    # Row-normalised, so a rare class's errors are as visible as a common one's.
    shares = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    font = 8 if len(labels) <= 30 else 5
    name_margin = _names_inches(labels, font) + AXIS_LABEL
    size = min(4 + 0.18 * len(labels), 16)
    figure, axes = _figure(size + name_margin + COLORBAR, size + name_margin, titled=False, left=name_margin,
                           bottom=name_margin, right=COLORBAR)
    image = axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    # Beside the axes, inside the right margin (taking it from the axes would squeeze the square matrix).
    bar_axes = figure.add_axes((1 - (COLORBAR - 0.1) / figure.get_figwidth(), axes.get_position().y0,
                                0.2 / figure.get_figwidth(), axes.get_position().height))
    figure.colorbar(image, cax=bar_axes, label="share of the true class")
    ticks = np.arange(len(labels))
    axes.set_xticks(ticks, labels, rotation=90, fontsize=font)
    axes.set_yticks(ticks, labels, fontsize=font)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    if len(labels) <= 12:
        for (i, j), count in np.ndenumerate(counts):
            axes.text(j, i, int(count), ha="center", va="center", fontsize=8,
                      color="white" if shares[i, j] > 0.5 else "black")
    return _uri(figure)


def per_class_bars(per_class: dict) -> str:
    labels = list(per_class)
    font = 8 if len(labels) <= 30 else 6
    name_margin = _names_inches(labels, font)
    figure, axes = _figure(6 + name_margin, max(2.0, 0.22 * len(labels) + 1.0), titled=False, left=name_margin)
    positions = np.arange(len(labels))
    height = 0.27
    for k, metric in enumerate(("precision", "recall", "f1")):
        axes.barh(positions + (k - 1) * height, [per_class[label][metric] for label in labels], height, label=metric)
    axes.set_yticks(positions, labels, fontsize=font)
    axes.invert_yaxis()
    axes.set_xlim(0, 1)
    axes.legend(loc="lower right")
    return _uri(figure)


def reliability_diagram(raw: np.ndarray, calibrated: np.ndarray, y_true: np.ndarray, temperature: float) -> str:
    figure, both_axes = _figure(9, 4, 2)
    for axes, proba, title in zip(both_axes, (raw, calibrated),
                                  ("before calibration", f"after (temperature {temperature:.3f})")):
        bins = [row for row in reliability_bins(proba, y_true) if row["count"]]
        centres = [(row["low"] + row["high"]) / 2 for row in bins]
        axes.bar(centres, [row["accuracy"] for row in bins], width=1 / 15, edgecolor="black", alpha=0.7,
                 label="accuracy")
        axes.plot([row["confidence"] for row in bins], [row["accuracy"] for row in bins], "o", color="C1",
                  label="mean confidence")
        axes.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
        axes.set_xlim(0, 1)
        axes.set_ylim(0, 1)
        axes.set_xlabel("confidence (15 equal-width bins)")
        axes.set_ylabel("accuracy")
        axes.set_title(title)
        axes.legend(loc="upper left", fontsize=8)
    return _uri(figure)


def roc_and_pr(proba: np.ndarray, y_true: np.ndarray, labels: list[str]) -> tuple[str, dict]:
    """ROC and precision-recall curves with their areas: the positive class for two classes, else one-vs-rest
    per class (the first ``MAX_CURVES`` drawn) and the micro average."""
    figure, (roc_axes, pr_axes) = _figure(10, 4.2, 2)
    onehot = np.eye(len(labels), dtype=bool)[y_true]
    curves = [(labels[1], onehot[:, 1], proba[:, 1])] if len(labels) == 2 else \
        [(label, onehot[:, c], proba[:, c]) for c, label in enumerate(labels)]
    areas = {}
    for k, (name, truth, score) in enumerate(curves):
        if truth.all() or not truth.any():
            continue  # a class absent from the test set has no curve
        fpr, tpr, _ = roc_curve(truth, score)
        precision, recall, _ = precision_recall_curve(truth, score)
        areas[name] = {"roc_auc": float(auc(fpr, tpr)), "average_precision": float(average_precision(truth, score))}
        if k < MAX_CURVES:
            roc_axes.plot(fpr, tpr, label=f"{name[:20]} {areas[name]['roc_auc']:.3f}", linewidth=1)
            pr_axes.plot(recall, precision, label=f"{name[:20]} {areas[name]['average_precision']:.3f}", linewidth=1)
    summary = {"per_class": areas}
    if len(labels) > 2:
        fpr, tpr, _ = roc_curve(onehot.ravel(), proba.ravel())
        precision, recall, _ = precision_recall_curve(onehot.ravel(), proba.ravel())
        summary["micro_roc_auc"] = float(auc(fpr, tpr))
        summary["micro_average_precision"] = float(average_precision(onehot.ravel(), proba.ravel()))
        summary["macro_roc_auc"] = float(np.mean([a["roc_auc"] for a in areas.values()]))
        roc_axes.plot(fpr, tpr, "k-", linewidth=2, label=f"micro average {summary['micro_roc_auc']:.3f}")
        pr_axes.plot(recall, precision, "k-", linewidth=2,
                     label=f"micro average {summary['micro_average_precision']:.3f}")
    roc_axes.plot([0, 1], [0, 1], "--", color="grey")
    roc_axes.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (legend: AUC)")
    pr_axes.set(xlabel="recall", ylabel="precision", title="precision-recall (legend: average precision)")
    for axes in (roc_axes, pr_axes):
        axes.legend(fontsize=7, loc="lower right" if axes is roc_axes else "lower left")
    return _uri(figure), summary


def coverage_curve(confidence: np.ndarray, correct: np.ndarray) -> str:
    """Accuracy of the answered texts against the share answered, as the confidence floor rises."""
    order = np.argsort(-confidence, kind="stable")
    hits = np.cumsum(correct[order])
    answered = np.arange(1, len(order) + 1)
    figure, axes = _figure(6, 4)
    axes.plot(answered / len(order), hits / answered)
    for floor in (0.6, 0.8, 0.9, 0.95):
        count = int((confidence >= floor).sum())
        if count:
            axes.plot(count / len(order), hits[count - 1] / count, "o", color="C1")
            axes.annotate(f"≥{floor:g}", (count / len(order), hits[count - 1] / count), fontsize=8,
                          textcoords="offset points", xytext=(4, -10))
    axes.set(xlabel="coverage (share of texts answered)", ylabel="accuracy of answered texts",
             title="abstaining under a confidence floor")
    axes.set_xlim(0, 1.02)
    return _uri(figure)


def accuracy_by_length(lengths: np.ndarray, correct: np.ndarray) -> tuple[str, list[dict]]:
    """Accuracy per length quintile (in whitespace-separated words)."""
    edges = np.unique(np.quantile(lengths, np.linspace(0, 1, 6)).round())
    rows = []
    for k, (low, high) in enumerate(zip(edges[:-1], edges[1:])):
        inside = (lengths >= low) & ((lengths < high) if k < len(edges) - 2 else (lengths <= high))
        if inside.any():
            rows.append({"words": f"{int(low)}–{int(high)}", "count": int(inside.sum()),
                         "accuracy": float(correct[inside].mean())})
    figure, axes = _figure(6, 3.5, titled=False)
    axes.bar([row["words"] for row in rows], [row["accuracy"] for row in rows], color="C2")
    for i, row in enumerate(rows):
        axes.text(i, row["accuracy"], f"{row['accuracy']:.3f}\nn={row['count']}", ha="center", va="bottom", fontsize=8)
    axes.set(xlabel="text length (words)", ylabel="accuracy", ylim=(0, 1.15))
    return _uri(figure), rows
