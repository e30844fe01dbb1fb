"""Back-translation: paraphrases made by translating to a pivot language and back, with YOUR translator.

No translation model ships with textclass; bring any function of the shape
``translate(texts: list[str], target_language: str) -> list[str]`` (a Hugging Face MarianMT pipeline, a
cloud API client, a local server). It is called on batches of ``batch_size`` texts, twice per batch:
once into the pivot language, once back into ``source``::

    def translate(texts, target):
        return my_client.translate(texts, to=target)

    clf = TextClassifier(augment=BackTranslation(translate, pivot="de"))
    clf = TextClassifier(augment={"method": BackTranslation(translate, pivot=["de", "fr"]), "copies": 2})

With several pivots, copy ``k`` goes through ``pivot[k % len(pivot)]``: a deterministic translator gives
the same paraphrase for the same pivot, and ``augment`` drops such repeats. The translator is not saved
with a run: config.json records the class name and settings only, and ``TextClassifier.load`` leaves
``augment`` unset (prediction never augments), so pass the object again before re-fitting.
"""
from __future__ import annotations

import logging
import random
from typing import Callable, Sequence

from ..errors import ConfigError
from .base import Augmenter

log = logging.getLogger("textclass.augment")

Translate = Callable[[list[str], str], list[str]]


class BackTranslation(Augmenter):
    def __init__(self, translate: Translate, pivot: str | Sequence[str] = "de", source: str = "en",
                 batch_size: int = 32):
        if not callable(translate):
            raise ConfigError("BackTranslation needs a function translate(texts, target_language) -> texts")
        self.pivots = (pivot,) if isinstance(pivot, str) else tuple(pivot)
        if not self.pivots or batch_size < 1:
            raise ConfigError(f"BackTranslation needs at least one pivot and batch_size >= 1, got "
                              f"{list(self.pivots)} and {batch_size}")
        self.translate, self.source, self.batch_size = translate, source, batch_size

    def round_trip(self, texts: Sequence[str], pivot: str) -> list[str]:
        out: list[str] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            there = self._call(batch, pivot)
            out.extend(self._call(there, self.source))
        return out

    def _call(self, texts: list[str], target: str) -> list[str]:
        result = list(self.translate(texts, target))
        if len(result) != len(texts) or not all(isinstance(t, str) for t in result):
            raise ConfigError(f"translate(texts, {target!r}) must return one str per input text; got "
                              f"{len(result)} items for {len(texts)} texts")
        return result

    def generate(self, texts: Sequence[str], copies: int, rng: random.Random) -> list[list[str]]:
        """``rng`` is unused: any randomness (sampling decoders) is the translator's own."""
        variants = []
        for copy in range(copies):
            pivot = self.pivots[copy % len(self.pivots)]
            log.info("back-translation: copy %d of %d via %r (%d texts)", copy + 1, copies, pivot, len(texts))
            variants.append(self.round_trip(texts, pivot))
        return variants

    def config(self) -> dict:
        name = getattr(self.translate, "__qualname__", type(self.translate).__name__)
        return {"pivot": list(self.pivots), "source": self.source, "batch_size": self.batch_size,
                "translate": f"{getattr(self.translate, '__module__', '?')}.{name}"}
