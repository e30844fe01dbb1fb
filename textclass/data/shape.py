"""The shape of a training set in robust statistics, for defaults that adapt to the data.

Every figure here is one that a few outliers cannot move far: quantiles of text length rather than their
total, and a total estimated from lengths capped at the 99th percentile, so one 5 MB text among short ones
counts as a long text, not as 5 million characters of evidence.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np


def typical_total(lengths: np.ndarray) -> float:
    """The sum of ``lengths`` with each capped at their 99th percentile (0 for none)."""
    if len(lengths) == 0:
        return 0.0
    return float(np.minimum(lengths, np.quantile(lengths, 0.99)).sum())


@dataclass(frozen=True)
class DataShape:
    texts: int
    classes: int
    median_chars: float
    q90_chars: float
    typical_total_chars: float  # every text's length capped at the 99th percentile, summed
    smallest_class: int  # examples of the rarest class
    largest_class: int

    @classmethod
    def of(cls, texts: Sequence[str], labels: np.ndarray) -> "DataShape":
        return cls.from_lengths(np.fromiter(map(len, texts), np.int64, len(texts)), labels)

    @classmethod
    def from_lengths(cls, lengths: np.ndarray, labels: np.ndarray) -> "DataShape":
        """The shape from each text's length in characters, for data whose texts are not in memory."""
        counts = np.bincount(np.asarray(labels, dtype=np.int64))
        counts = counts[counts > 0]
        if len(lengths) == 0:
            return cls(0, len(counts), 0.0, 0.0, 0.0, 0, 0)
        return cls(texts=len(lengths), classes=len(counts), median_chars=float(np.median(lengths)),
                   q90_chars=float(np.quantile(lengths, 0.9)), typical_total_chars=typical_total(lengths),
                   smallest_class=int(counts.min()), largest_class=int(counts.max()))

    @property
    def imbalance(self) -> float:
        """Examples of the largest class per example of the smallest."""
        return self.largest_class / max(self.smallest_class, 1)

    def to_dict(self) -> dict:
        return {**asdict(self), "imbalance": round(self.imbalance, 2)}
