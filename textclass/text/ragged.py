"""Variable-length id sequences stored as one flat array plus offsets (no per-text Python objects)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

import numpy as np


@dataclass
class RaggedIds:
    values: np.ndarray  # int64, all sequences back to back
    offsets: np.ndarray  # int64, len n+1; sequence i is values[offsets[i]:offsets[i+1]]

    @classmethod
    def from_lists(cls, seqs: Iterable[Sequence[int]]) -> "RaggedIds":
        lengths, chunks = [0], []
        for s in seqs:
            arr = np.asarray(s, dtype=np.int64)
            chunks.append(arr)
            lengths.append(len(arr))
        values = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
        return cls(values, np.cumsum(np.asarray(lengths, dtype=np.int64)))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def __getitem__(self, i: int) -> np.ndarray:
        return self.values[self.offsets[i] : self.offsets[i + 1]]

    def gather(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Concatenated values of the chosen sequences and their lengths, without a Python loop."""
        indices = np.asarray(indices, dtype=np.int64)
        starts, ends = self.offsets[indices], self.offsets[indices + 1]
        lengths = ends - starts
        total = int(lengths.sum())
        # Position of every output element in ``values``: each run starts at ``starts[k]``.
        run_starts = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        flat = self._take(run_starts + np.arange(total, dtype=np.int64))
        # Ids kept on disk are int32 (half the bytes to read); models index with int64.
        return flat.astype(np.int64, copy=False), lengths

    def _take(self, positions: np.ndarray) -> np.ndarray:
        return self.values[positions]

    def slices(self, ids_per_slice: int) -> Iterator[tuple[int, int, np.ndarray]]:
        """(first text, end text, their ids) over consecutive ranges of about ``ids_per_slice`` ids (a longer text
        alone), for passes over every id that must not hold them all at once (ids kept on disk)."""
        n, start = len(self), 0
        while start < n:
            target = self.offsets[start] + ids_per_slice
            stop = max(start + 1, min(n, int(np.searchsorted(self.offsets, target, side="right")) - 1))
            yield start, stop, self._read(int(self.offsets[start]), int(self.offsets[stop]))
            start = stop

    def _read(self, first: int, end: int) -> np.ndarray:
        return self.values[first:end]
