import json
import weakref
from collections import Counter

import pytest

from textclass.text import Vocabulary
from textclass.text.vocabulary import PAD, PAD_ID, UNK, UNK_ID

CORPUS = [
    ["the", "cat", "sat", "on", "the", "mat"],
    ["the", "dog", "sat"],
    ["a", "cat", "and", "a", "dog"],
    ["the", "end"],
]
# counts: the 4; cat 2, sat 2, a 2, dog 2; on, mat, and, end 1


def test_reserved_ids():
    vocab = Vocabulary.build(iter(CORPUS), max_size=None, min_freq=1)
    assert (PAD_ID, UNK_ID) == (0, 1)
    assert vocab.itos[:2] == [PAD, UNK] == ["<pad>", "<unk>"]
    assert vocab.ids(["the", "zebra", "cat"]) == [vocab.stoi["the"], UNK_ID, vocab.stoi["cat"]]
    assert all(i >= 2 for i in vocab.ids(["the", "cat", "sat", "on"]))


def test_order_is_frequency_then_alphabetical():
    vocab = Vocabulary.build(iter(CORPUS), max_size=None, min_freq=1)
    assert vocab.itos == [PAD, UNK, "the", "a", "cat", "dog", "sat", "and", "end", "mat", "on"]
    assert [vocab.stoi[t] for t in vocab.itos] == list(range(len(vocab)))


def test_tie_order_does_not_depend_on_corpus_order():
    forward = Vocabulary.build(iter(CORPUS), max_size=6, min_freq=1)
    backward = Vocabulary.build((list(reversed(doc)) for doc in reversed(CORPUS)), max_size=6, min_freq=1)
    assert forward.itos == backward.itos == [PAD, UNK, "the", "a", "cat", "dog"]


@pytest.mark.parametrize("max_size, expected_len", [(2, 2), (3, 3), (6, 6), (11, 11), (12, 11), (1000, 11)])
def test_max_size_counts_the_reserved_entries(max_size, expected_len):
    vocab = Vocabulary.build(iter(CORPUS), max_size=max_size, min_freq=1)
    assert len(vocab) == expected_len
    assert len(vocab) <= max(max_size, 2)
    assert vocab.itos[:2] == [PAD, UNK]


def test_min_freq_keeps_tokens_seen_at_least_that_often():
    vocab = Vocabulary.build(iter(CORPUS), max_size=None, min_freq=2)
    assert vocab.itos == [PAD, UNK, "the", "a", "cat", "dog", "sat"]
    assert "mat" not in vocab and vocab.ids(["mat"]) == [UNK_ID]
    assert Vocabulary.build(iter(CORPUS), max_size=None, min_freq=4).itos == [PAD, UNK, "the"]
    assert Vocabulary.build(iter(CORPUS), max_size=None, min_freq=5).itos == [PAD, UNK]


def test_min_freq_and_max_size_together():
    vocab = Vocabulary.build(iter(CORPUS), max_size=4, min_freq=2)
    assert vocab.itos == [PAD, UNK, "the", "a"]


def test_json_round_trip(tmp_path):
    vocab = Vocabulary.build(iter(CORPUS + [["café", "東京", "café"]]), max_size=None, min_freq=1)
    path = tmp_path / "vocab.json"
    vocab.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))  # plain JSON, readable by anything
    assert data["tokens"] == vocab.itos
    assert "café" in path.read_text(encoding="utf-8")
    loaded = Vocabulary.load(path)
    assert loaded.itos == vocab.itos
    probe = ["the", "café", "東京", "unseen", "sat"]
    assert loaded.ids(probe) == vocab.ids(probe)


def test_build_consumes_a_generator_in_one_pass():
    passes = []

    def stream():
        passes.append(1)
        for doc in CORPUS:
            yield doc

    vocab = Vocabulary.build(stream(), max_size=None, min_freq=1)
    assert len(passes) == 1
    assert vocab.itos == Vocabulary.build(CORPUS, max_size=None, min_freq=1).itos


class _Tokens(list):
    """A list that can be weakly referenced, to see whether build() keeps token lists alive."""


def test_build_does_not_hold_the_token_lists():
    refs = []
    held_when_yielding = []

    def stream():
        for i in range(50):
            # Every list yielded before the current one must be gone (freed by reference counting as soon as
            # nothing holds it): build() keeps counts, not token lists.
            held_when_yielding.append(sum(ref() is not None for ref in refs[:-1]))
            tokens = _Tokens([f"w{i % 7}", f"w{i % 3}", "common"])
            refs.append(weakref.ref(tokens))
            yield tokens

    vocab = Vocabulary.build(stream(), max_size=None, min_freq=1)
    assert max(held_when_yielding) == 0
    assert vocab.itos[2] == "common"
    assert len(vocab) == 2 + 1 + 7  # w0..w6 plus "common"


def test_large_stream_of_generated_texts():
    def stream():
        for i in range(50_000):
            yield ["token", f"id{i % 1000}"]

    vocab = Vocabulary.build(stream(), max_size=100, min_freq=1)
    assert len(vocab) == 100
    assert vocab.itos[2] == "token"
    # Equal counts (50 each): alphabetical, so id0, id1, id10, id100, ...
    assert vocab.itos[3:6] == ["id0", "id1", "id10"]


def test_from_counts_matches_build():
    counts = Counter(t for doc in CORPUS for t in doc)
    assert Vocabulary.from_counts(counts, 8, 1).itos == Vocabulary.build(iter(CORPUS), 8, 1).itos


def test_literal_reserved_tokens_in_the_corpus_do_not_duplicate_or_pad():
    vocab = Vocabulary.build(iter([["<pad>", "<unk>", "word", "<pad>"], ["word"]]), max_size=None, min_freq=1)
    assert vocab.itos == [PAD, UNK, "word"]
    # Text that happens to read "<pad>" is an unknown word, never the padding id.
    assert vocab.ids(["<pad>", "<unk>", "word"]) == [UNK_ID, UNK_ID, 2]


def test_constructor_checks_its_input():
    with pytest.raises(ValueError, match="starts with"):
        Vocabulary(["a", "b"])
    with pytest.raises(ValueError, match="duplicate"):
        Vocabulary([PAD, UNK, "a", "a"])
