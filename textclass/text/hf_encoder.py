"""The encoder of pretrained transformer models: their own subword tokenizer, with head+tail truncation.

Texts longer than ``max_len`` keep their first ``head_tokens`` and their last tokens (Sun et al. 2019,
"How to Fine-Tune BERT for Text Classification"): a review's verdict is often in its closing lines.
"""
from __future__ import annotations

import itertools
import logging
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..errors import ArtifactError, ConfigError
from .base import StreamingEncoder
from .encoders import ENCODERS
from .ragged import RaggedIds

log = logging.getLogger("textclass.text")

TOKENIZER_DIR = "tokenizer"
NO_PRETRAINED = ("a transformer needs a pretrained model: pretrained=NAME_OR_PATH "
                 "(a Hugging Face hub name or a local model folder)")


def require_transformers():
    """The ``transformers`` module; it is an optional extra, so its absence is a user-fixable ConfigError."""
    try:
        import transformers
    except ImportError:
        raise ConfigError("transformer models need the transformers package: "
                          "pip install 'textclass[transformer]'") from None
    return transformers


@ENCODERS.register("hf_v1", aliases=("hf",))
class HFTokenizerEncoder(StreamingEncoder):
    """A pretrained model's fast tokenizer; ids include its special tokens ([CLS] ... [SEP])."""

    files = (TOKENIZER_DIR,)

    def __init__(self, pretrained: str = "", max_len: int = 256, head_tokens: int = 128):
        self.pretrained = pretrained
        self.max_len = max_len
        self.head_tokens = head_tokens
        self.tokenizer = None

    def fit(self, texts: Sequence[str], labels=None) -> "HFTokenizerEncoder":
        if not self.pretrained:
            raise ConfigError(NO_PRETRAINED)
        try:
            tokenizer = require_transformers().AutoTokenizer.from_pretrained(self.pretrained)
        except OSError as exc:  # transformers' word for "no such folder, and not on the hub or not reachable"
            raise ConfigError(f"cannot load the pretrained model {self.pretrained!r}: {exc}") from None
        self._use(tokenizer)
        return self

    def _use(self, tokenizer) -> None:
        if not tokenizer.is_fast:
            raise ConfigError(f"{self.pretrained}: no fast (Rust) tokenizer available; textclass needs one")
        if tokenizer.pad_token_id is None:
            raise ConfigError(f"{self.pretrained}: its tokenizer has no padding token")
        # Where the special tokens go is the tokenizer's business; a probe tells how many lead the text.
        mask = tokenizer("a", return_special_tokens_mask=True)["special_tokens_mask"]
        self._lead = mask.index(0)
        self._special = sum(mask)
        if not self._special < self.max_len <= tokenizer.model_max_length:
            raise ConfigError(f"max_len must be above the {self._special} special tokens and at most the model's "
                              f"{tokenizer.model_max_length} positions, got {self.max_len}")
        if self.head_tokens < 0:
            raise ConfigError(f"head_tokens must be >= 0, got {self.head_tokens}")
        self.tokenizer = tokenizer

    def fit_stream(self, chunks: Iterable[Sequence[str]], lengths: np.ndarray) -> None:
        self.fit(())  # a pretrained tokenizer learns nothing from the texts: the chunks are never read

    def encode(self, texts: Sequence[str], name: str = "texts") -> RaggedIds:
        if self.tokenizer is None:
            raise RuntimeError("encoder used before fit()")
        texts = list(texts)
        if not texts:  # the tokenizer rejects an empty batch
            return RaggedIds.from_lists([])
        ids = self._token_ids(texts)
        lengths = np.fromiter(map(len, ids), np.int64, len(ids))
        flat = np.fromiter(itertools.chain.from_iterable(ids), np.int64, int(lengths.sum()))
        kept, head, tail = self._head_tail(flat, lengths)
        truncated = int((lengths > self.max_len).sum())
        log.info("%s: %d texts, %d subword tokens, %d texts (%.1f%%) longer than %d tokens kept their first "
                 "%d and last %d", name, len(ids), int(lengths.sum()), truncated, 100.0 * truncated / len(ids),
                 self.max_len, head, tail)
        return kept

    def _token_ids(self, texts: list[str]) -> list[list[int]]:
        """Each text's full id sequence, special tokens included (the torch-free runtime overrides this)."""
        # verbose=False: texts longer than the model's positions are expected here, truncation follows.
        return self.tokenizer(texts, truncation=False, padding=False, return_attention_mask=False,
                              return_token_type_ids=False, verbose=False)["input_ids"]

    def _head_tail(self, flat: np.ndarray, lengths: np.ndarray) -> tuple[RaggedIds, int, int]:
        """Keeps, of each sequence, its leading specials + ``head`` tokens and its last ``tail`` + trailing specials."""
        budget = self.max_len - self._special
        head = min(self.head_tokens, budget)
        tail = budget - head
        first, last = self._lead + head, tail + self._special - self._lead
        offsets = np.concatenate(([0], np.cumsum(lengths)))
        length = np.repeat(lengths, lengths)  # per token: the length of its sequence
        position = np.arange(len(flat)) - np.repeat(offsets[:-1], lengths)
        keep = (length <= self.max_len) | (position < first) | (length - position <= last)
        kept_offsets = np.concatenate(([0], np.cumsum(np.minimum(lengths, self.max_len))))
        return RaggedIds(flat[keep], kept_offsets), head, tail

    def model_args(self) -> dict:
        return {"padding_idx": self.tokenizer.pad_token_id}

    def save(self, directory: Path) -> None:
        self.tokenizer.save_pretrained(Path(directory) / TOKENIZER_DIR)

    @classmethod
    def load(cls, directory: Path, params: dict) -> "HFTokenizerEncoder":
        encoder = cls(**params)
        if not (Path(directory) / TOKENIZER_DIR / "tokenizer.json").is_file():
            # transformers would otherwise build a tokenizer with an empty vocabulary and say nothing
            raise ArtifactError(f"{Path(directory) / TOKENIZER_DIR}/tokenizer.json is missing")
        tokenizer = require_transformers().AutoTokenizer.from_pretrained(Path(directory) / TOKENIZER_DIR,
                                                                         local_files_only=True)
        encoder._use(tokenizer)
        return encoder
