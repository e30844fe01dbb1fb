"""Renders the run report with jinja2 from a fitted classifier and, when there is one, its test evaluation."""
from __future__ import annotations

import importlib.util
import logging
from collections import Counter
from datetime import datetime, timezone

import numpy as np

from .. import calibration
from ..errors import ConfigError
from ..models import MODELS

log = logging.getLogger("textclass.report")

REPORT_FILE = "report.html"
TEMPLATE = "template.html.j2"
CONFIDENT_MISTAKES = 8


def missing_library() -> str | None:
    """The first library the report needs that is not installed, or None: found, not imported, so that asking
    costs nothing before training (the imports themselves take about 0.3 s)."""
    for name in ("jinja2", "matplotlib"):
        if importlib.util.find_spec(name) is None:
            return name
    return None


def _libraries():
    missing = missing_library()
    if missing:
        raise ConfigError(f"the HTML report needs matplotlib and jinja2 ({missing} is missing): "
                          "pip install 'textclass[report]'")
    import jinja2

    return jinja2


def build_report(clf, evaluation=None, *, title: str = "textclass run") -> str:
    """The report's HTML. ``evaluation`` (``TextClassifier.evaluation(test)``) adds every test section; without
    it the page holds the run's configuration, data summary and training curves."""
    jinja2 = _libraries()
    from . import figures

    environment = jinja2.Environment(loader=jinja2.PackageLoader("textclass.report", "."),
                                     autoescape=jinja2.select_autoescape(["html", "j2"]))
    context = {
        "title": title,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "model": MODELS.canonical(clf.model),
        "labels": clf.labels_,
        "config": clf.config(),
        "data": getattr(clf, "data_summary_", None),
        "history": clf.history_,
        "best_epoch": clf.best_epoch_,
        "training_curves": figures.training_curves(clf.history_, clf.best_epoch_),
        "calibration": clf.calibration_,
        "decision": clf.decision_,
        "test": _test_sections(clf, evaluation, figures) if evaluation is not None else None,
    }
    return environment.get_template(TEMPLATE).render(**context)


def _test_sections(clf, evaluation, figures) -> dict:
    report, y_true, logits = evaluation.report, evaluation.y_true, evaluation.logits
    raw, proba = calibration.softmax(logits), calibration.softmax(logits, clf.temperature_)
    y_pred = np.asarray(report["predictions"]["predicted"])
    confidence = proba[np.arange(len(y_pred)), y_pred]
    correct = y_pred == y_true
    lengths = np.fromiter((len(text.split()) for text in evaluation.data.texts), np.int64, len(y_true))
    curves, areas = figures.roc_and_pr(proba, y_true, clf.labels_)
    length_figure, length_rows = figures.accuracy_by_length(lengths, correct)
    return {
        "origin": evaluation.data.origin,
        "report": report,
        "class_counts": sorted(Counter(evaluation.data.labels).items()),
        "length": {"mean": float(lengths.mean()), "median": float(np.median(lengths)), "max": int(lengths.max())},
        "confusion": figures.confusion_heatmap(report["confusion_matrix"], clf.labels_),
        "per_class": figures.per_class_bars(report["per_class"]),
        "reliability": figures.reliability_diagram(raw, proba, y_true, clf.temperature_),
        "curves": curves,
        "areas": areas,
        "coverage_figure": figures.coverage_curve(confidence, correct),
        "length_figure": length_figure,
        "length_rows": length_rows,
        "mistakes": _confident_mistakes(clf, evaluation, proba, y_pred, confidence, correct),
    }


def _confident_mistakes(clf, evaluation, proba, y_pred, confidence, correct) -> list[dict]:
    from ..explain import explain_texts

    wrong = np.flatnonzero(~correct)
    worst = wrong[np.argsort(-confidence[wrong], kind="stable")][:CONFIDENT_MISTAKES]
    texts = [evaluation.data.texts[i] for i in worst]
    try:
        explanations = explain_texts(clf, texts) if texts else []
    except ConfigError as exc:  # e.g. captum absent: the mistakes are still worth listing
        log.warning("report: mistakes shown without explanations: %s", exc)
        explanations = [None] * len(texts)
    rows = []
    for i, explanation in zip(worst, explanations):
        tokens = []
        if explanation is not None:
            scale = max((abs(w) for _, w in explanation.tokens), default=0.0) or 1.0
            tokens = [{"token": t, "weight": w, "alpha": min(abs(w) / scale, 1.0)} for t, w in explanation.tokens]
        rows.append({"text": evaluation.data.texts[i], "true": clf.labels_[evaluation.y_true[i]],
                     "predicted": clf.labels_[y_pred[i]], "confidence": float(confidence[i]), "tokens": tokens,
                     "method": None if explanation is None else explanation.method,
                     "features": [] if explanation is None else explanation.features[:6]})
    return rows
