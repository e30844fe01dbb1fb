"""The augmenter contract: variants of training texts, made after the validation hold-out."""
from __future__ import annotations

import abc
import random
from typing import Sequence


class Augmenter(abc.ABC):
    @abc.abstractmethod
    def generate(self, texts: Sequence[str], copies: int, rng: random.Random) -> list[list[str]]:
        """``copies`` lists, each with one variant per text, in the texts' order."""

    def fit(self, texts: Sequence[str]) -> "Augmenter":
        """Called on the training split before ``generate`` (EDA finds its synonyms here)."""
        return self

    def config(self) -> dict:
        """Settings recorded in the run's config.json."""
        return {}
