"""Encoded ids kept on disk and memory-mapped, for training sets larger than memory.

Each chunk of encoded texts is appended to a flat int32 file; what stays in memory is one offset per text.
Reading a batch gathers its texts' ids from the mapped file, so the operating system pages in what a batch
touches and can drop it again: memory follows the batch, not the data.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from .ragged import RaggedIds

log = logging.getLogger("textclass.text")

ID_DTYPE = np.int32  # vocabulary, feature and token ids all stay far below 2**31


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
        values = np.memmap(self.path, dtype=ID_DTYPE, mode="r", shape=(self._count,))
        log.info("%s: %s ids of %s texts on disk (%.1f MB)", self.path.name, f"{self._count:,}", f"{len(lengths):,}",
                 self._count * np.dtype(ID_DTYPE).itemsize / 1e6)
        return RaggedIds(values, offsets)

    def close(self) -> None:
        self._file.close()
