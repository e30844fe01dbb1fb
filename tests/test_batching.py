import numpy as np
import pytest
import torch

from textclass.batching import Batch, EncodedSplit, bucketed_batches, collate, iterate_batches
from textclass.text.ragged import RaggedIds

SEQS = [[5, 6, 7], [8], [9, 10, 11, 12, 13], [14, 15]]


@pytest.fixture
def split():
    return EncodedSplit(RaggedIds.from_lists(SEQS), np.array([0, 1, 2, 1], dtype=np.int64))


def long_tailed_lengths(n=3000, seed=0):
    """Text lengths spread like reviews: many short, a long tail."""
    rng = np.random.default_rng(seed)
    return np.minimum(rng.lognormal(4.0, 0.8, size=n).astype(np.int64) + 1, 400)


def test_padded_collate(split):
    batch = collate(split, np.array([2, 0, 1]), "padded", pad_id=0)
    assert batch.ids.dtype == torch.int64
    assert batch.ids.tolist() == [[9, 10, 11, 12, 13], [5, 6, 7, 0, 0], [8, 0, 0, 0, 0]]
    assert batch.lengths.tolist() == [5, 3, 1]
    assert batch.labels.tolist() == [2, 0, 1]
    assert batch.offsets is None
    assert len(batch) == 3


def test_padding_is_dynamic_and_uses_the_pad_id(split):
    batch = collate(split, np.array([1, 3]), "padded", pad_id=99)
    assert batch.ids.shape == (2, 2)  # as wide as the longest text in this batch, not in the split
    assert batch.ids.tolist() == [[8, 99], [14, 15]]


def test_padded_collate_random_against_a_loop():
    rng = np.random.default_rng(0)
    seqs = [rng.integers(1, 50, size=rng.integers(1, 12)).tolist() for _ in range(100)]
    split = EncodedSplit(RaggedIds.from_lists(seqs))
    indices = rng.permutation(100)[:37]
    batch = collate(split, indices, "padded", pad_id=0)
    assert batch.labels is None
    width = max(len(seqs[i]) for i in indices)
    expected = [seqs[i] + [0] * (width - len(seqs[i])) for i in indices]
    assert batch.ids.tolist() == expected


def test_bag_collate(split):
    batch = collate(split, np.array([0, 1, 2]), "bag")
    assert batch.ids.tolist() == [5, 6, 7, 8, 9, 10, 11, 12, 13]
    assert batch.offsets.tolist() == [0, 3, 4]
    assert batch.lengths.tolist() == [3, 1, 5]
    assert batch.labels.tolist() == [0, 1, 2]
    bag = torch.nn.EmbeddingBag.from_pretrained(torch.arange(20.0).unsqueeze(1), mode="sum")
    assert bag(batch.ids, batch.offsets).squeeze(1).tolist() == [18.0, 8.0, 55.0]


def test_unknown_input_format(split):
    with pytest.raises(ValueError, match="input format"):
        collate(split, np.array([0]), "sparse")


def test_batch_to_keeps_lengths_on_the_cpu(split):
    batch = collate(split, np.array([0, 1]), "padded").to("meta")
    assert batch.ids.device.type == "meta" and batch.labels.device.type == "meta"
    assert batch.lengths.device.type == "cpu"  # pack_padded_sequence wants them there
    assert isinstance(batch, Batch)


@pytest.mark.parametrize("n, batch_size", [(3000, 64), (101, 10), (5, 8), (1, 1)])
@pytest.mark.parametrize("shuffled", [True, False])
def test_batches_cover_every_index_exactly_once(n, batch_size, shuffled):
    lengths = long_tailed_lengths(n)
    rng = np.random.default_rng(0) if shuffled else None
    batches = bucketed_batches(lengths, batch_size, rng)
    everything = np.concatenate(batches)
    assert sorted(everything.tolist()) == list(range(n))
    sizes = sorted(len(b) for b in batches)
    assert sizes[-1] == min(batch_size, n)
    assert sum(s < batch_size for s in sizes) <= 1  # at most one short batch


def padding_ratio(lengths, batches):
    """Padded cells over real tokens: 0 means no padding at all."""
    padded = sum(len(b) * lengths[b].max() for b in batches)
    return padded / lengths.sum() - 1


def test_bucketing_puts_similar_lengths_together():
    lengths = long_tailed_lengths()
    bucketed = bucketed_batches(lengths, 64, np.random.default_rng(0))
    perm = np.random.default_rng(0).permutation(len(lengths))
    random_batches = [perm[i: i + 64] for i in range(0, len(lengths), 64)]
    assert padding_ratio(lengths, bucketed) < 0.25 * padding_ratio(lengths, random_batches)
    # and within a batch, lengths are close: the median spread is a small share of the overall spread
    spreads = [lengths[b].max() - lengths[b].min() for b in bucketed]
    assert np.median(spreads) < 0.1 * (lengths.max() - lengths.min())


def test_training_order_is_seeded_and_changes_between_epochs():
    lengths = long_tailed_lengths(500)

    def flat(rng):
        return np.concatenate(bucketed_batches(lengths, 32, rng)).tolist()

    assert flat(np.random.default_rng(7)) == flat(np.random.default_rng(7))
    assert flat(np.random.default_rng(7)) != flat(np.random.default_rng(8))
    rng = np.random.default_rng(7)
    assert flat(rng) != flat(rng)  # the next epoch sees other batches


def test_evaluation_order_is_sorted_longest_first():
    lengths = long_tailed_lengths(777)
    batches = bucketed_batches(lengths, 50, None)
    order = np.concatenate(batches)
    assert (np.diff(lengths[order]) <= 0).all()
    assert [b.tolist() for b in batches] == [b.tolist() for b in bucketed_batches(lengths, 50, None)]


def test_iterate_batches_gives_indices_matching_their_batches():
    rng = np.random.default_rng(1)
    seqs = [rng.integers(1, 30, size=rng.integers(1, 20)).tolist() for _ in range(90)]
    labels = rng.integers(0, 3, size=90)
    split = EncodedSplit(RaggedIds.from_lists(seqs), labels)
    seen = []
    for indices, batch in iterate_batches(split, 16, "padded", rng=np.random.default_rng(0)):
        for row, i in enumerate(indices):
            assert batch.ids[row, : len(seqs[i])].tolist() == seqs[i]
            assert batch.lengths[row] == len(seqs[i])
            assert batch.labels[row] == labels[i]
        seen.extend(indices.tolist())
    assert sorted(seen) == list(range(90))


def test_capped_batches_hold_at_most_the_positions_asked():
    from textclass.collation import capped_batches

    lengths = np.array([3, 50, 0, 7, 7, 20, 1, 100, 2])
    batches = capped_batches(lengths, max_texts=4, max_positions=60)
    assert sorted(np.concatenate(batches).tolist()) == list(range(len(lengths)))  # every text once
    for batch in batches:
        assert len(batch) <= 4
        assert len(batch) == 1 or len(batch) * lengths[batch].max() <= 60
    assert [b.tolist() for b in batches][0] == [7]  # longer than the cap alone: still predicted, by itself
    assert [b.tolist() for b in capped_batches(lengths, 4, None)] == [[7, 1, 5, 3], [4, 0, 8, 6], [2]]


def test_padded_width_rounds_up_to_the_multiple_and_cnn_logits_ignore_it():
    import torch

    from textclass.collation import pad_ids
    from textclass.models import MODELS

    flat, lengths = np.arange(1, 1 + 3 + 7 + 18), np.array([3, 7, 18])
    assert pad_ids(flat, lengths, 0).shape == (3, 18)
    wide = pad_ids(flat, lengths, 0, width_multiple=16)
    assert wide.shape == (3, 32) and (wide[:, 18:] == 0).all()
    torch.manual_seed(0)
    cnn = MODELS.get("cnn")(vocab_size=40, num_classes=3).eval()
    with torch.no_grad():
        narrow_logits = cnn(Batch(torch.from_numpy(pad_ids(flat, lengths, 0)), torch.from_numpy(lengths)))
        wide_logits = cnn(Batch(torch.from_numpy(wide), torch.from_numpy(lengths)))
    torch.testing.assert_close(narrow_logits, wide_logits, atol=1e-6, rtol=0)
