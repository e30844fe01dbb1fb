"""Honest evaluation: metrics from predictions, a readable report, and a metrics file written atomically."""

from textclass.evaluation.metrics import classification_report
from textclass.evaluation.report import format_report, write_metrics

__all__ = ["classification_report", "format_report", "write_metrics"]
