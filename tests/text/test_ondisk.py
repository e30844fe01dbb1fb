"""RaggedWriter: chunks appended on disk come back as one memory-mapped RaggedIds with the same ids."""
from __future__ import annotations

import numpy as np
import pytest

from textclass.text.ondisk import MappedIds, RaggedWriter
from textclass.text.ragged import RaggedIds


def test_chunks_round_trip_memory_mapped(tmp_path):
    parts = [RaggedIds.from_lists([[1, 2, 3], [], [7]]), RaggedIds.from_lists([[9, 9], [4]])]
    writer = RaggedWriter(tmp_path / "ids")
    for part in parts:
        writer.append(part)
    ids = writer.finish()
    assert isinstance(ids, MappedIds) and not ids.values.flags.writeable
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


def _resident_kb_of(path) -> int:
    """Resident kilobytes of this process's mappings of ``path`` (Linux /proc/self/smaps)."""
    total, inside = 0, False
    for line in open("/proc/self/smaps"):
        if line[0] in "0123456789abcdef" and "-" in line.split()[0]:
            inside = line.rstrip().endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


@pytest.mark.parametrize("release_mb,most_kb", [(4, 8 * 1024), (1024, None)])
def test_pages_read_are_unmapped_as_reading_goes_on(tmp_path, monkeypatch, release_mb, most_kb):
    import textclass.text.ondisk as ondisk

    monkeypatch.setattr(ondisk, "RELEASE_BYTES", release_mb << 20)
    writer = RaggedWriter(tmp_path / "ids")
    for _ in range(10):
        writer.append(RaggedIds(np.arange(1 << 20, dtype=np.int64), np.arange(0, (1 << 20) + 1, 1024)))
    ids = writer.finish()  # 40 MB of ids
    order = np.random.default_rng(0).permutation(len(ids))
    for start in range(0, len(order), 256):
        ids.gather(order[start:start + 256])
    resident = _resident_kb_of(tmp_path / "ids")
    if most_kb is None:  # never released: the whole file ends up mapped in
        assert resident > 30 * 1024
    else:
        assert resident <= most_kb
