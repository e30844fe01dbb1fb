"""Torch-free prediction from an exported run (onnxruntime + NumPy + the run's encoder files).

>>> from textclass.runtime import OnnxPredictor
>>> OnnxPredictor("runs/imdb/onnx").predict(["a fine film"])
"""
from .bundle import find_export
from .predictor import BACKENDS, OnnxPredictor, Predictor, load_predictor

__all__ = ["BACKENDS", "OnnxPredictor", "Predictor", "find_export", "load_predictor"]
