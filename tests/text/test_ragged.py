import numpy as np
import pytest

from textclass.text.ragged import RaggedIds


def random_seqs(rng, n, max_len=9):
    # Lengths include 0: an empty sequence must not shift its neighbours.
    return [rng.integers(0, 1000, size=rng.integers(0, max_len + 1)).tolist() for _ in range(n)]


def test_from_lists_layout():
    ragged = RaggedIds.from_lists([[5, 6, 7], [], [8], [9, 10]])
    assert ragged.values.dtype == np.int64 and ragged.offsets.dtype == np.int64
    assert ragged.values.tolist() == [5, 6, 7, 8, 9, 10]
    assert ragged.offsets.tolist() == [0, 3, 3, 4, 6]
    assert ragged.lengths.tolist() == [3, 0, 1, 2]
    assert len(ragged) == 4
    assert [ragged[i].tolist() for i in range(4)] == [[5, 6, 7], [], [8], [9, 10]]


def test_from_lists_accepts_a_generator_and_nothing():
    ragged = RaggedIds.from_lists(([i] * i for i in range(4)))
    assert ragged.lengths.tolist() == [0, 1, 2, 3]
    empty = RaggedIds.from_lists([])
    assert len(empty) == 0 and empty.values.size == 0 and empty.offsets.tolist() == [0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gather_equals_a_naive_loop(seed):
    rng = np.random.default_rng(seed)
    seqs = random_seqs(rng, 200)
    ragged = RaggedIds.from_lists(seqs)
    indices = rng.integers(0, len(seqs), size=64)  # repeats allowed, any order
    flat, lengths = ragged.gather(indices)
    expected = [x for i in indices for x in seqs[i]]
    assert flat.tolist() == expected
    assert lengths.tolist() == [len(seqs[i]) for i in indices]
    assert flat.dtype == np.int64


def test_gather_edge_cases():
    ragged = RaggedIds.from_lists([[1, 2], [], [3]])
    flat, lengths = ragged.gather(np.array([], dtype=np.int64))
    assert flat.tolist() == [] and lengths.tolist() == []
    flat, lengths = ragged.gather([1, 1])
    assert flat.tolist() == [] and lengths.tolist() == [0, 0]
    flat, lengths = ragged.gather([2, 0])
    assert flat.tolist() == [3, 1, 2] and lengths.tolist() == [1, 2]
