"""Plain-text rendering of a classification report, and atomic writing of the metrics file."""
from __future__ import annotations

from ..io import write_json
from .multilabel import format_multilabel_report

LABEL_WIDTH = 30
CONFUSION_LABEL_WIDTH = 12
TOP_CONFUSED_PAIRS = 10
ELLIPSIS = "…"


def format_report(report: dict, title: str = "Test report", max_confusion_classes: int = 20) -> str:
    """Headline numbers, a per-class table, then the confusion matrix or, for many classes, the worst confusions."""
    if report.get("task") == "multi_label":
        return format_multilabel_report(report, title)
    sections = [
        _headline(report, title),
        _per_class_table(report),
    ]
    if report["undefined_precision"]:
        never = ", ".join(_truncate(label, LABEL_WIDTH) for label in report["undefined_precision"])
        sections.append(f"Never predicted (precision undefined, shown as 0): {never}")
    if len(report["labels"]) <= max_confusion_classes:
        sections.append(_confusion_table(report))
    else:
        sections.append(_top_confusions(report))
    return "\n\n".join(sections) + "\n"


def write_metrics(report: dict, path, extra: dict | None = None) -> None:
    """Write the report, plus any extra top-level fields, as JSON that readers never see half-written."""
    payload = dict(report)
    if extra:
        clashes = sorted(set(extra) & set(payload))
        if clashes:
            raise ValueError(f"extra fields would overwrite report fields: {', '.join(clashes)}")
        payload.update(extra)

    write_json(path, payload)


def _headline(report: dict, title: str) -> str:
    rows = [
        ("examples", str(report["n"])),
        ("accuracy", f"{report['accuracy']:.4f}"),
        ("macro F1", f"{report['macro_f1']:.4f}"),
        ("weighted F1", f"{report['weighted_f1']:.4f}"),
    ]
    if report.get("loss") is not None:
        rows.append(("loss", f"{report['loss']:.4f}"))
    name_width = max(len(name) for name, _ in rows)
    lines = [title, "=" * len(title)]
    lines += [f"{name:<{name_width}}  {value}" for name, value in rows]
    return "\n".join(lines)


def _per_class_table(report: dict) -> str:
    rows = [
        (_truncate(label, LABEL_WIDTH), stats["precision"], stats["recall"], stats["f1"], stats["support"])
        for label, stats in report["per_class"].items()
    ]
    n = report["n"]
    totals = [
        ("macro avg", report["macro_precision"], report["macro_recall"], report["macro_f1"], n),
        ("weighted avg", report["weighted_precision"], report["weighted_recall"], report["weighted_f1"], n),
    ]
    label_width = max(len(row[0]) for row in rows + totals)
    support_width = max(len("support"), len(str(n)))

    def line(label, precision, recall, f1, support):
        return f"{label:<{label_width}}  {precision:>9}  {recall:>9}  {f1:>9}  {support:>{support_width}}"

    def numbers(label, precision, recall, f1, support):
        return line(label, f"{precision:.4f}", f"{recall:.4f}", f"{f1:.4f}", support)

    header = line("label", "precision", "recall", "f1", "support")
    lines = [header, "-" * len(header)]
    lines += [numbers(*row) for row in rows]
    lines.append("-" * len(header))
    lines += [numbers(*row) for row in totals]
    return "\n".join(lines)


def _confusion_table(report: dict) -> str:
    labels = [_truncate(label, CONFUSION_LABEL_WIDTH) for label in report["labels"]]
    matrix = report["confusion_matrix"]
    corner = "true \\ pred"
    row_header_width = max(len(corner), *(len(label) for label in labels))
    cell_width = max(*(len(label) for label in labels), *(len(str(count)) for row in matrix for count in row))

    header = f"{corner:<{row_header_width}}  " + "  ".join(f"{label:>{cell_width}}" for label in labels)
    lines = ["Confusion matrix (rows: true, columns: predicted)", header]
    for label, row in zip(labels, matrix):
        cells = "  ".join(f"{count:>{cell_width}}" for count in row)
        lines.append(f"{label:<{row_header_width}}  {cells}")
    return "\n".join(lines)


def _top_confusions(report: dict) -> str:
    labels = report["labels"]
    # Ties keep label order so the listing is stable from run to run (classification_report sorts them so).
    pairs = [(count, true_index, pred_index) for true_index, pred_index, count in report["top_confusions"]]
    heading = f"Most confused pairs, top {TOP_CONFUSED_PAIRS} (true -> predicted: count)"
    if not pairs:
        return f"{heading}\n  none: every example was classified correctly"
    lines = [heading]
    for count, true_index, pred_index in pairs[:TOP_CONFUSED_PAIRS]:
        true_label = _truncate(labels[true_index], LABEL_WIDTH)
        pred_label = _truncate(labels[pred_index], LABEL_WIDTH)
        lines.append(f"  {true_label} -> {pred_label}: {count}")
    return "\n".join(lines)


def _truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + ELLIPSIS
