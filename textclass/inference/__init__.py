"""Applying a trained classifier: prediction rows (label, confidence, empty flag ...) and streamed files."""
from .formats import INPUT_FORMATS, OUTPUT_FORMATS
from .rows import RowSpec, predict_rows
from .stream import StreamSummary, predict_file

__all__ = ["INPUT_FORMATS", "OUTPUT_FORMATS", "RowSpec", "StreamSummary", "predict_file", "predict_rows"]
