"""Export a trained run for serving without PyTorch: ONNX graphs (fp32 or int8) in a self-contained folder."""
from .onnx_export import QUANTIZATIONS, export_onnx
from .graphs import graph_for

__all__ = ["QUANTIZATIONS", "export_onnx", "graph_for"]
