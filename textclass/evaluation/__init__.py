"""Honest evaluation: metrics from predictions, a readable report, and a metrics file written atomically."""

from textclass.evaluation.label_thresholds import apply_thresholds, tune_thresholds
from textclass.evaluation.metrics import classification_report
from textclass.evaluation.multilabel import format_multilabel_report, multilabel_report
from textclass.evaluation.report import format_report, write_metrics

__all__ = ["classification_report", "format_report", "write_metrics", "multilabel_report",
           "format_multilabel_report", "tune_thresholds", "apply_thresholds"]
