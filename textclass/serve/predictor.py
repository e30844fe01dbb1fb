"""What the service needs from a model: its labels, probabilities for a list of texts, and a description.

The HTTP layer and the micro-batcher only ever talk to a ``Predictor``, so another runtime (an ONNX session)
serves through the same endpoints by implementing these few members.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from .. import __version__, artifact
from ..errors import ConfigError


@runtime_checkable
class Predictor(Protocol):
    """A loaded model, ready to predict. ``predict_proba`` is only ever called from one thread at a time."""

    labels: list[str]

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Probabilities [len(texts), len(labels)], columns in ``labels`` order."""
        ...

    def metadata(self) -> dict:
        """``{"name", "run_id", "run", "textclass_version", "config", "metrics", "explains"}`` (JSON-ready)."""
        ...

    @property
    def explains(self) -> bool:
        """Whether ``explain`` gives token weights for this model."""
        ...

    def explain(self, texts: list[str]) -> list[list[tuple[str, float]]]:
        """Per text, ``(token, weight)`` pairs; only called when ``explains`` is true."""
        ...


def run_id(run_dir: Path) -> str:
    """The first 12 hex digits of the SHA-256 of the run's config, labels and weights: names what is served,
    so two servers answering differently can be told apart even when their run folders share a name."""
    digest = hashlib.sha256()
    for name in artifact.REQUIRED:
        with open(run_dir / name, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:12]


def run_metadata(run_dir: Path, config: dict, labels: list[str], *, explains: bool) -> dict:
    """The description every backend serves: what the run's files say about the model."""
    metrics_path = run_dir / "metrics.json"
    metrics = artifact.read_json(metrics_path) if metrics_path.is_file() else None
    return {
        "name": config["model"]["name"],
        "run": run_dir.name,
        "run_id": run_id(run_dir),
        "textclass_version": __version__,
        "labels": labels,
        "explains": explains,
        "config": {key: config.get(key) for key in ("task", "model", "encoder", "training", "best_epoch")},
        "metrics": metrics,
    }


class TorchPredictor:
    """A run loaded with ``TextClassifier.load``, predicting on CPU in one forward pass per call."""

    def __init__(self, run_dir, *, threads: int | None = None):
        import torch

        from ..classifier import TextClassifier
        from ..models import TokenAttention

        if threads is not None:
            if threads < 1:
                raise ConfigError(f"threads must be at least 1, got {threads}")
            torch.set_num_threads(threads)
        self.classifier = TextClassifier.load(run_dir)
        self.labels = list(self.classifier.labels_)
        directory, config, _ = artifact.read_run(run_dir)
        self._explains = isinstance(self.classifier.model_, TokenAttention)
        self._metadata = run_metadata(directory, config, self.labels, explains=self._explains)

    @property
    def explains(self) -> bool:
        return self._explains

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        # One call is one micro-batch: a single forward pass, however many texts it holds.
        return self.classifier.predict_proba(texts, batch_size=max(len(texts), 1), device="cpu")

    def explain(self, texts: list[str]) -> list[list[tuple[str, float]]]:
        return self.classifier.explain(texts)

    def metadata(self) -> dict:
        return self._metadata


def load_predictor(run_dir, *, threads: int | None = None) -> Predictor:
    return TorchPredictor(run_dir, threads=threads)
