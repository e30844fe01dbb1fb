"""``RUN/report.html``: one self-contained page (figures embedded as PNG data URIs) about a run and its test."""
from .html import REPORT_FILE, build_report, missing_library

__all__ = ["REPORT_FILE", "build_report", "missing_library"]
