"""The encoder contract: texts in, one id sequence per text out, fitted on the training split only.

An encoder's constructor arguments are its whole configuration (``config()``), and ``save``/``load`` carry what
it learned, in the files it lists in ``files``; together they rebuild it in a run without the training data.
"""
from __future__ import annotations

import abc
from pathlib import Path
from typing import ClassVar, Iterable, Sequence

import numpy as np

from ..registry import constructor_defaults
from .ragged import RaggedIds


class Encoder(abc.ABC):
    registry_name: ClassVar[str]  # set by the registry: the versioned name a run records
    files: ClassVar[tuple[str, ...]] = ()  # what ``save`` writes into a run (files or folders)

    @abc.abstractmethod
    def fit(self, texts: Sequence[str], labels: np.ndarray | None = None) -> "Encoder":
        """Learn from the training texts (and their class indices, for encoders that weigh features by class)."""

    @abc.abstractmethod
    def encode(self, texts: Sequence[str], name: str = "texts") -> RaggedIds:
        """Ids per text; ``name`` labels the split in the log."""

    def fit_encode(self, texts: Sequence[str], labels: np.ndarray | None = None, name: str = "train") -> RaggedIds:
        """``fit`` then ``encode`` the same texts; encoders that read the texts while fitting reuse that pass."""
        return self.fit(texts, labels).encode(texts, name=name)

    @abc.abstractmethod
    def model_args(self) -> dict:
        """Constructor arguments the model takes from what this encoder learned (vocabulary size, pad id ...)."""

    def config(self) -> dict:
        return {"name": self.registry_name,
                "params": {key: getattr(self, key) for key in constructor_defaults(type(self))}}

    @abc.abstractmethod
    def save(self, directory: Path) -> None:
        """Write what was learned into ``directory`` (the files named in ``files``)."""

    @classmethod
    @abc.abstractmethod
    def load(cls, directory: Path, params: dict) -> "Encoder":
        """The encoder ``params`` describe, with what ``save`` wrote into ``directory``."""


class StreamingEncoder(Encoder):
    """An encoder that learns from training texts it reads once, chunk by chunk, never holding them all.

    Training from a ``TextStream`` (data larger than memory) needs one; ``fit`` on texts in memory stays
    available, and both must learn the same thing from the same texts.
    """

    @abc.abstractmethod
    def fit_stream(self, chunks: Iterable[Sequence[str]], lengths: np.ndarray) -> None:
        """Learn the vocabulary or features from the training texts, read once in ``chunks``.

        ``lengths`` holds every training text's length in characters, measured in an earlier pass, for
        choices that read the whole distribution before the first chunk (``char_ngrams="auto"``).
        """

    def fit_encoded(self, encoded: RaggedIds, labels: np.ndarray | None) -> None:
        """Learn what needs the encoded training ids and their labels (naive-Bayes weights); nothing by default.

        Called after ``fit_stream`` with the training split encoded; ``encoded.values`` may be memory-mapped.
        """
