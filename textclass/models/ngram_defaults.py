"""The ``ngram`` family's rules for settings left unset: each reads the training data's shape (``DataShape``).

Rules, not per-dataset tuning: each one names the statistic it reads and the threshold it applies, and was
checked on all six data sets of the dev suite (benchmarks/bench_devsuite.py).
"""
from __future__ import annotations

from ..data.shape import DataShape
from ..text.ngram_encoder import char_ngrams_for


MANY_CLASSES = 1000


def ngram_data_defaults(shape: DataShape) -> dict[str, tuple[object, str]]:
    chosen: dict[str, tuple[object, str]] = {}
    chosen["char_ngrams"] = char_ngrams_for(shape.typical_total_chars, shape.median_chars)
    if shape.classes > MANY_CLASSES:
        # Each member adds a width x classes head that every prediction multiplies; with thousands of classes
        # that product, not the n-gram lookups, is the cost of prediction and of each validation pass.
        chosen["members"] = (1, f"{shape.classes:,} classes (over {MANY_CLASSES:,}): one member, whose "
                                f"width x classes head is the cost of every prediction")
    return chosen
