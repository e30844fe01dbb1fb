import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from textclass.text import hashing
from textclass.text.hashing import NgramSpec, hash_features

from .hashing_reference import reference_hash_features

BIG = 1 << 36  # so many buckets that a collision in these tiny examples would be a bug, not bad luck


def features(text: str, **spec) -> set[int]:
    return set(hash_features([text], NgramSpec(spec.pop("num_buckets", BIG), **spec)).values.tolist())


def test_same_ids_in_another_process_whatever_its_hash_seed():
    texts = ["The film was GREAT!", "don't waste your time <br /><br />on it", "naïve café 東京 :)", ""]
    spec = dict(num_buckets=1 << 20, word_ngrams=3, char_min=2, char_max=4)
    here = hash_features(texts, NgramSpec(**spec))
    code = ("import json, sys; from textclass.text.hashing import NgramSpec, hash_features; "
            f"r = hash_features({texts!r}, NgramSpec(**{spec!r})); "
            "print(json.dumps([r.values.tolist(), r.offsets.tolist()]))")
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        values, offsets = json.loads(out.stdout)
        assert values == here.values.tolist() and offsets == here.offsets.tolist()


@pytest.mark.parametrize("num_buckets", [1, 7, 1000, 1 << 20])
def test_ids_stay_inside_the_bucket_count(num_buckets):
    rng = np.random.default_rng(0)
    texts = [" ".join(f"w{i}" for i in rng.integers(0, 5000, 40)) for _ in range(50)]
    ids = hash_features(texts, NgramSpec(num_buckets, word_ngrams=3, char_max=4)).values
    assert ids.min() >= 0 and ids.max() < num_buckets
    assert len(np.unique(ids)) >= min(num_buckets, 1000) * 0.9  # and they spread over the buckets


@pytest.mark.parametrize("order", [1, 2])
def test_distinct_ngrams_collide_at_the_rate_of_random_hashing(order):
    # n distinct features thrown into b buckets occupy b * (1 - (1 - 1/b)**n) of them on average.
    n, b = 20000, 1 << 15
    if order == 1:
        found = hash_features([" ".join(f"w{i}" for i in range(n))], NgramSpec(b, word_ngrams=1)).values
    else:
        # Each text is two words: its features are [first word, the bigram, second word], in that order.
        texts = [f"w{i} w{i + 1}" for i in range(n)]
        found = hash_features(texts, NgramSpec(b, word_ngrams=2, binary=False)).values.reshape(n, 3)[:, 1]
    expected = b * (1 - (1 - 1 / b) ** n)
    std = np.sqrt(b * np.exp(-n / b) * (1 - (1 + n / b) * np.exp(-n / b)))
    assert abs(len(np.unique(found)) - expected) < 4 * std


def test_orders_give_the_expected_features():
    uni, bi, tri = (features("a b c", word_ngrams=k) for k in (1, 2, 3))
    assert len(uni) == 3 and len(bi) == 5 and len(tri) == 6
    assert uni < bi < tri
    assert features("a b", word_ngrams=2) < bi  # "a b" is a bigram of "a b c"
    assert features("b a", word_ngrams=2) - features("a b", word_ngrams=2)  # order matters in n-grams
    assert features("b a", word_ngrams=1) == features("a b", word_ngrams=1)


def test_ngrams_never_span_two_texts():
    ragged = hash_features(["a", "b"], NgramSpec(BIG, word_ngrams=3))
    assert ragged.lengths.tolist() == [1, 1]


def test_tokenization_rules():
    same = features
    assert same("Good MOVIE") == same("good movie")
    assert same("good<br /><br />movie") == same("good movie")
    assert len(same("good, movie", word_ngrams=1)) == 3  # "," is a token of its own ...
    assert same("good!", word_ngrams=1) == same("good !", word_ngrams=1)  # ... and so is "!"
    assert same("don't", word_ngrams=1) != same("don t", word_ngrams=1)  # inner apostrophes stay in the word
    assert same("'quoted'", word_ngrams=1) == same("quoted", word_ngrams=1)
    assert same("café  \t\n") == same("café")
    assert same("") == set() and same("   ") == set()


def test_binary_counts_a_feature_once_per_text():
    binary = hash_features(["good good good"], NgramSpec(BIG, word_ngrams=2))
    counts = hash_features(["good good good"], NgramSpec(BIG, word_ngrams=2, binary=False))
    assert len(binary.values) == 2  # "good", "good good"
    assert len(counts.values) == 5  # 3 + 2


def test_character_ngrams_of_a_word_with_its_boundaries():
    words_only = features("ab cd", word_ngrams=1)
    with_chars = features("ab cd", word_ngrams=1, char_min=3, char_max=3)
    assert len(with_chars - words_only) == 4  # "<ab", "ab>", "<cd", "cd>"
    assert features("ab", char_min=4, char_max=4) == features("ab") | features("ab", char_min=4, char_max=4)
    # A word's character n-grams are the same wherever it stands.
    chars_of_ab = features("ab", word_ngrams=1, char_min=2, char_max=3) - features("ab", word_ngrams=1)
    assert chars_of_ab <= features("x, ab!", word_ngrams=1, char_min=2, char_max=3)


def test_parallel_chunks_give_the_serial_result(monkeypatch):
    monkeypatch.setattr(hashing, "_CHUNK_BYTES", 64)
    rng = np.random.default_rng(1)
    texts = [" ".join(f"w{i}" for i in rng.integers(0, 300, rng.integers(0, 30))) for _ in range(200)]
    spec = NgramSpec(1 << 20, word_ngrams=3, char_max=3)
    serial, parallel = hash_features(texts, spec, workers=1), hash_features(texts, spec, workers=2)
    assert len(hashing._chunks(texts)) > 10
    assert np.array_equal(serial.values, parallel.values) and np.array_equal(serial.offsets, parallel.offsets)
    one_by_one = [hash_features([t], spec).values.tolist() for t in texts]
    assert [serial[i].tolist() for i in range(len(texts))] == one_by_one


def test_rows_table_maps_and_drops_features():
    spec = NgramSpec(1000, word_ngrams=2)
    plain = hash_features(["a b", "c"], spec)
    rows = np.full(1000, -1, dtype=np.int32)
    rows[plain[0]] = np.arange(len(plain[0]))  # keep only the first text's features
    mapped = hash_features(["a b", "c"], spec, rows=rows)
    assert mapped.lengths.tolist() == [3, 0] and sorted(mapped.values.tolist()) == [0, 1, 2]


@pytest.mark.parametrize("wide", [False, True])
def test_last_of_each_keeps_the_last_occurrence_of_every_id_in_each_text(wide):
    rng = np.random.default_rng(2)
    counts = rng.integers(0, 300, 60)
    # Many duplicates, and ids that share their low bits; wide ones do not fit in 32 bits.
    ids = rng.integers(0, 50, counts.sum()) * ((1 << 36) if wide else (1 << 20))
    keep = hashing._last_of_each(ids, counts)
    expected, start = np.zeros(len(ids), dtype=bool), 0
    for count in counts:
        last = {value: start + i for i, value in enumerate(ids[start : start + count].tolist())}
        expected[list(last.values())] = True
        start += count
    assert np.array_equal(keep, expected)


def test_words_that_share_a_token_hash_keep_their_own_character_ngrams():
    # Every token given the same hash: the bytes decide which occurrences are the same word.
    data, _ = hashing._normalized_bytes(["ab ba ab abc ba", "abc ab"])
    _, starts, ends = hashing._token_bounds(data)
    same = hashing._same_word(np.zeros(len(starts), np.uint64), data, starts, ends)
    words = [data[a:b].tobytes() for a, b in zip(starts, ends)]
    assert all(words[i] == words[j] for i, j in enumerate(same))
    assert all(same[j] == j for j in same)  # each occurrence points at one that stands for itself
    assert same.tolist() != list(range(len(words)))  # and repeated words were found


@pytest.mark.parametrize("seed", range(3))
def test_equal_bytes_compares_any_ranges(seed):
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 3, 50).astype(np.uint8)  # a tiny alphabet, so equal ranges are frequent
    a, b = rng.integers(0, 50, 400), rng.integers(0, 50, 400)
    a_length = rng.integers(0, 50 - a + 1)
    b_length = np.where(rng.random(400) < 0.8, np.minimum(a_length, 50 - b), rng.integers(0, 50 - b + 1))
    expected = [data[i : i + m].tobytes() == data[j : j + n].tobytes() for i, j, m, n in zip(a, b, a_length, b_length)]
    assert hashing._equal_bytes(data, a, b, a_length, b_length).tolist() == expected


# Few words, so texts repeat words and words share character n-grams; odd characters and punctuation too.
_WORDS = ["a", "ab", "ba", "abc", "card", "cards", "carded", "aaaa", "aaaaaaaaa", "transfer", "transfers",
          "naïve", "東京", "don't", "x" * 20, "!", "?", ",", "<br />", "\u2019", "\x00", "\ud800"]
_TEXT = st.lists(st.sampled_from(_WORDS), max_size=25).map(" ".join) | st.text(max_size=30)


@settings(max_examples=120, deadline=None)
@given(texts=st.lists(_TEXT, max_size=8),
       num_buckets=st.sampled_from([1, 7, 1000, 1 << 20, 1 << 24, (1 << 36) + 3]),
       word_ngrams=st.integers(1, 3), chars=st.sampled_from([(1, 0), (3, 5), (1, 1), (2, 6), (4, 4)]),
       binary=st.booleans(), keep_rows=st.sampled_from([None, 0.0, 0.3, 1.0]), seed=st.integers(0, 9))
def test_the_same_ids_in_the_same_order_as_the_reference(texts, num_buckets, word_ngrams, chars, binary,
                                                         keep_rows, seed):
    """Runs saved before this implementation must keep predicting the same, bit for bit: the model sums each
    text's features in their order, so ids and order must both match the implementation they were trained on."""
    spec = NgramSpec(num_buckets, word_ngrams, chars[0], chars[1], binary)
    rows = None
    if keep_rows is not None and num_buckets <= 1 << 20:
        rng = np.random.default_rng(seed)
        kept = rng.random(num_buckets) < keep_rows
        rows = np.full(num_buckets, -1, dtype=np.int32)
        rows[kept] = rng.permutation(int(kept.sum()))
    found, expected = hash_features(texts, spec, workers=1, rows=rows), reference_hash_features(texts, spec, rows)
    assert found.values.dtype == expected.values.dtype
    assert found.values.tolist() == expected.values.tolist()
    assert found.offsets.tolist() == expected.offsets.tolist()
