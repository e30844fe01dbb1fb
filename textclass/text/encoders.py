"""Encoders turn raw texts into id sequences a model reads. Each model family names the encoder it needs.

An encoder is fitted on the training texts only, then encodes every split once (not once per epoch).
The contract every encoder follows is ``base.Encoder``.
"""
from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..errors import ArtifactError, ConfigError
from ..registry import Registry
from .base import Encoder, StreamingEncoder
from .ragged import RaggedIds
from .tokenizers import TOKENIZERS
from .vocabulary import PAD_ID, UNK_ID, Vocabulary

log = logging.getLogger("textclass.text")
ENCODERS: Registry = Registry("encoder", base=Encoder)


@ENCODERS.register("vocab_v1", aliases=("vocab",))
class VocabEncoder(StreamingEncoder):
    """Tokenize, map tokens to vocabulary ids, keep the first ``max_len`` ids of each text."""

    files = ("vocab.json",)

    def __init__(self, tokenizer: str = "default", vocab_size: int = 10000, min_freq: int = 5, max_len: int = 256):
        # vocab_size counts <pad> and <unk>; max_len 0 would leave texts with nothing for a model to read.
        for name, value, least in (("vocab_size", vocab_size, 3), ("min_freq", min_freq, 1), ("max_len", max_len, 1)):
            if (value is None and name != "vocab_size") or (value is not None and value < least):  # None: no cap
                raise ConfigError(f"{name} must be at least {least}, got {value}")
        self.tokenizer = TOKENIZERS.canonical(tokenizer)
        self.vocab_size = vocab_size
        self.min_freq = min_freq
        self.max_len = max_len
        self._tokenize = TOKENIZERS.get(self.tokenizer)
        self.vocab: Vocabulary | None = None

    def fit(self, texts: Sequence[str], labels=None) -> "VocabEncoder":
        self.fit_stream([texts], np.zeros(0))
        return self

    def fit_stream(self, chunks: Iterable[Sequence[str]], lengths: np.ndarray) -> None:
        counts: Counter = Counter()
        for texts in chunks:
            for text in texts:
                counts.update(self._tokenize(text))
        self.vocab = Vocabulary.from_counts(counts, self.vocab_size, self.min_freq)
        log.info("vocabulary: %d entries (max_size=%s, min_freq=%d)", len(self.vocab), self.vocab_size, self.min_freq)

    def encode(self, texts: Sequence[str], name: str = "texts") -> RaggedIds:
        if self.vocab is None:
            raise RuntimeError("encoder used before fit()")
        ids = [self.vocab.ids(self._tokenize(t)) for t in texts]
        tokens = sum(len(s) for s in ids)
        unknown = sum(s.count(UNK_ID) for s in ids)
        truncated = sum(len(s) > self.max_len for s in ids)
        if texts:
            log.info(
                "%s: %d texts, %d tokens, out-of-vocabulary %.2f%%, %d texts (%.1f%%) truncated to %d tokens",
                name, len(ids), tokens, 100.0 * unknown / max(tokens, 1), truncated,
                100.0 * truncated / len(ids), self.max_len,
            )
        # An empty text still needs one position for the recurrence to read; <unk> says "nothing known".
        return RaggedIds.from_lists(s[: self.max_len] if s else [UNK_ID] for s in ids)

    def model_args(self) -> dict:
        return {"vocab_size": len(self.vocab), "padding_idx": PAD_ID}

    def save(self, directory: Path) -> None:
        self.vocab.save(Path(directory) / "vocab.json")

    @classmethod
    def load(cls, directory: Path, params: dict) -> "VocabEncoder":
        encoder = cls(**params)
        encoder.vocab = Vocabulary.load(Path(directory) / "vocab.json")
        return encoder


def build_encoder(config: dict):
    return ENCODERS.get(config["name"])(**config.get("params", {}))


def load_encoder(directory: Path, config: dict):
    cls = ENCODERS.get(config["name"])
    missing = [name for name in cls.files if not (Path(directory) / name).exists()]
    if missing:
        raise ArtifactError(f"{directory}: not a complete textclass run (missing {', '.join(missing)})")
    try:
        return cls.load(directory, config.get("params", {}))
    except (ConfigError, OSError, ValueError, KeyError, TypeError, MemoryError) as exc:  # a damaged vocab.json ...
        raise ArtifactError(f"{directory}: cannot load the {config['name']} encoder's files: {exc}") from None
