"""RaggedWriter: chunks appended on disk come back as one memory-mapped RaggedIds with the same ids."""
from __future__ import annotations

import numpy as np
import pytest

from textclass.text.ondisk import RaggedWriter
from textclass.text.ragged import RaggedIds


def test_chunks_round_trip_memory_mapped(tmp_path):
    parts = [RaggedIds.from_lists([[1, 2, 3], [], [7]]), RaggedIds.from_lists([[9, 9], [4]])]
    writer = RaggedWriter(tmp_path / "ids")
    for part in parts:
        writer.append(part)
    ids = writer.finish()
    assert isinstance(ids.values, np.memmap)
    assert ids.lengths.tolist() == [3, 0, 1, 2, 1]
    flat, lengths = ids.gather(np.array([3, 0, 1]))
    assert flat.dtype == np.int64 and flat.tolist() == [9, 9, 1, 2, 3] and lengths.tolist() == [2, 3, 0]
    assert (tmp_path / "ids").stat().st_size == 7 * 4  # int32 on disk


def test_refuses_a_file_that_is_already_there(tmp_path):
    (tmp_path / "ids").write_bytes(b"user data")
    with pytest.raises(FileExistsError):
        RaggedWriter(tmp_path / "ids")
    assert (tmp_path / "ids").read_bytes() == b"user data"


def test_nothing_written_still_finishes(tmp_path):
    ids = RaggedWriter(tmp_path / "ids").finish()
    assert len(ids) == 0


def test_ids_outside_int32_are_refused(tmp_path):
    writer = RaggedWriter(tmp_path / "ids")
    with pytest.raises(ValueError, match="int32"):
        writer.append(RaggedIds.from_lists([[2**31]]))
