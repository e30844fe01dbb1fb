"""Prediction from an exported folder with onnxruntime and NumPy: no PyTorch anywhere on the path.

Texts go through the run's own encoder, then into the same length-sorted, right-padded batches as in training
(``textclass.collation``), so the graph sees the arrays the model saw.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Protocol, Sequence

import numpy as np

from ..calibration import decisions, softmax
from ..data.dataset import check_texts
from ..collation import PREDICT_BATCH_SIZE, capped_batches, pad_ids
from ..errors import ConfigError
from .bundle import MODEL_FILE, OUTPUT, find_export, read_bundle
from .encoders import load_runtime_encoder

BACKENDS = ("torch", "onnx")


class Predictor(Protocol):
    """What ``predict`` and ``serve`` need of a model: ``TextClassifier`` and ``OnnxPredictor`` both are one."""

    labels_: list[str]
    data_columns: dict | None  # the columns the run was trained on ({"text_column": ...}), when recorded
    multi_label: bool  # then predict gives label sets, by the run's per-label thresholds_

    def predict_proba(self, texts: Iterable[str], batch_size: int | None = None,
                      device: str | None = None) -> np.ndarray: ...

    def predict(self, texts: Iterable[str], batch_size: int | None = None,
                device: str | None = None) -> list[str]: ...


def _require_onnxruntime():
    try:
        import onnxruntime
    except ImportError:
        raise ConfigError("the onnx backend needs onnxruntime: pip install 'textclass[export]'") from None
    return onnxruntime


class OnnxPredictor:
    """An exported run: ``labels``, ``predict_proba(texts)``, ``predict(texts)``, as ``TextClassifier`` has them.

    ``threads`` caps onnxruntime's threads per call (default: its own choice, one per physical core).
    """

    def __init__(self, directory, *, threads: int | None = None):
        self.directory = Path(directory)
        self.manifest, self.config, self.labels_ = read_bundle(self.directory)
        self.data_columns = self.config.get("data")
        self.encoder = load_runtime_encoder(self.directory, self.config["encoder"])
        # The run's confidence settings, as TextClassifier.load reads them (absent in runs made before them).
        self.temperature = float((self.config.get("calibration") or {}).get("temperature", 1.0))
        decision = self.config.get("decision")
        self.threshold = None if decision is None else decision["threshold"]
        self.pad_id = int(self.manifest.get("pad_id", 0))
        self.batch_size = int(self.manifest.get("batch_size", PREDICT_BATCH_SIZE))
        self.batch_positions = self.manifest.get("batch_positions")
        ort = _require_onnxruntime()
        options = ort.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(self.directory / MODEL_FILE), options,
                                            providers=["CPUExecutionProvider"])

    @property
    def labels(self) -> list[str]:
        return self.labels_

    @property
    def multi_label(self) -> bool:
        return False  # the exporter refuses multi-label runs

    def predict_proba(self, texts: Iterable[str], batch_size: int | None = None,
                      device: str | None = None) -> np.ndarray:
        """Probabilities, shape [n_texts, n_labels], columns in ``labels`` order."""
        if device not in (None, "cpu", "auto"):
            raise ConfigError(f"the onnx backend runs on the CPU; device {device!r} is not available to it")
        texts = check_texts(texts)
        out = np.zeros((len(texts), len(self.labels_)), dtype=np.float32)
        if not texts:
            return out
        encoded = self.encoder.encode(texts, name="texts")
        for indices in capped_batches(encoded.lengths, batch_size or self.batch_size, self.batch_positions):
            flat, lengths = encoded.gather(indices)
            ids = pad_ids(flat, lengths, self.pad_id)
            out[indices] = self.session.run([OUTPUT], {"ids": ids, "lengths": lengths})[0]
        if self.temperature != 1.0:  # softmax(z / T) from softmax(z): the same as the torch backend
            out = softmax(np.log(np.maximum(out, np.finfo(np.float32).tiny)), self.temperature).astype(np.float32)
        return out

    def predict(self, texts: Iterable[str], batch_size: int | None = None, device: str | None = None,
                abstain_below: float | None = None) -> list[str]:
        proba = self.predict_proba(texts, batch_size, device)
        return decisions(proba, self.labels_, self.threshold, abstain_below)[1]


def load_predictor(run_dir, backend: str = "torch", *, threads: int | None = None) -> Predictor:
    """The run's predictor: ``torch`` loads the run itself; ``onnx`` its export (``run_dir`` may be the
    exported folder, or a run holding its default export)."""
    if backend == "torch":
        from ..classifier import TextClassifier

        return TextClassifier.load(run_dir)
    if backend == "onnx":
        return OnnxPredictor(find_export(run_dir), threads=threads)
    raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
