"""Encoded ids kept on disk and memory-mapped, for training sets larger than memory.

Each chunk of encoded texts is appended to a flat int32 file; what stays in memory is one offset per text.
Reading a batch gathers its texts' ids from the mapped file. Pages once read would stay mapped into the
process (and count in its resident memory) until the whole file had been; ``MappedIds`` unmaps them again
every ``RELEASE_BYTES`` read, so resident memory follows the batch, not the data. They stay in the
operating system's page cache, where the next epoch finds them if memory allows.
"""
from __future__ import annotations

import logging
import mmap
from pathlib import Path

import numpy as np

from .ragged import RaggedIds

log = logging.getLogger("textclass.text")

ID_DTYPE = np.int32  # vocabulary, feature and token ids all stay far below 2**31
RELEASE_BYTES = 256 << 20


class MappedIds(RaggedIds):
    """``RaggedIds`` whose ids are a read-only mapping of a file written by ``RaggedWriter``."""

    def __init__(self, path: Path, count: int, offsets: np.ndarray):
        with open(path, "rb") as f:
            self._mapping = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        super().__init__(np.frombuffer(self._mapping, dtype=ID_DTYPE, count=count), offsets)
        self._read_since_release = 0

    def _take(self, positions: np.ndarray) -> np.ndarray:
        return self._count(super()._take(positions))

    def _read(self, first: int, end: int) -> np.ndarray:
        return self._count(np.array(super()._read(first, end)))  # a copy: the pages can go at once

    def _count(self, values: np.ndarray) -> np.ndarray:
        self._read_since_release += values.nbytes
        if self._read_since_release >= RELEASE_BYTES:
            self._mapping.madvise(mmap.MADV_DONTNEED)
            self._read_since_release = 0
        return values


class RaggedWriter:
    """Appends ``RaggedIds`` to ``path``; ``finish()`` gives them back as one memory-mapped ``RaggedIds``."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._file = open(self.path, "xb")  # never over a file that is already there
        self._lengths: list[np.ndarray] = []
        self._count = 0

    def append(self, ids: RaggedIds) -> None:
        values = ids.values
        if len(values) and (values.min() < 0 or values.max() > np.iinfo(ID_DTYPE).max):
            raise ValueError(f"ids outside int32: {values.min()}..{values.max()}")
        self._file.write(values.astype(ID_DTYPE, copy=False).tobytes())
        self._lengths.append(ids.lengths)
        self._count += len(values)

    def finish(self) -> RaggedIds:
        self._file.close()
        lengths = np.concatenate(self._lengths) if self._lengths else np.zeros(0, np.int64)
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        if self._count == 0:  # numpy cannot map an empty file
            return RaggedIds(np.zeros(0, ID_DTYPE), offsets)
        ids = MappedIds(self.path, self._count, offsets)
        log.info("%s: %s ids of %s texts on disk (%.1f MB)", self.path.name, f"{self._count:,}", f"{len(lengths):,}",
                 self._count * np.dtype(ID_DTYPE).itemsize / 1e6)
        return ids

    def close(self) -> None:
        self._file.close()
