"""Deterministic, vectorized hashing of word and character n-grams into a fixed number of buckets.

Texts are tokenized on their UTF-8 bytes with NumPy: a byte table says which bytes belong to words
(ASCII letters and digits, every non-ASCII letter, an apostrophe between two word bytes) and which ASCII
punctuation marks stand as one-byte tokens ("!" and "?" carry sentiment, "." ends a clause); everything
else separates. A token's 64-bit hash is a polynomial hash of its bytes computed for all tokens at once from
prefix sums, so there is no per-token Python work, and the result is the same in every process (Python's
``hash()`` is salted per process and is never used). N-gram hashes combine the token hashes of a window.
Work is cut into chunks of texts that two threads hash in parallel (NumPy releases the GIL).
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .ragged import RaggedIds

_U64 = np.uint64
# Odd multipliers: odd numbers are invertible modulo 2**64, which the prefix-sum hash relies on.
_BASE = 0x100000001B3
_BASE_INV = pow(_BASE, -1, 2**64)
_ORDER_SEEDS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53)
_CHAR_SEED = 0x2545F4914F6CDD1D
_CHUNK_BYTES = 1 << 21  # big enough to amortise NumPy call overhead, small enough to stay in cache-ish memory

_WORD, _PUNCT, _SPACE = 0, 1, 2
_CLASS = np.full(256, _SPACE, dtype=np.uint8)
_CLASS[np.frombuffer(b"abcdefghijklmnopqrstuvwxyz0123456789", np.uint8)] = _WORD
_CLASS[0x80:] = _WORD
_CLASS[np.frombuffer(b"!?.,;:()\"-*&$%/=+#@~[]{}<>|\\^`_", np.uint8)] = _PUNCT
_LOWER = np.arange(256, dtype=np.uint8)
_LOWER[ord("A"): ord("Z") + 1] += 32


def mix64(h: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer: spreads every input bit over every output bit (so ``% buckets`` is uniform)."""
    h = h ^ (h >> _U64(30))
    h *= _U64(0xBF58476D1CE4E5B9)
    h ^= h >> _U64(27)
    h *= _U64(0x94D049BB133111EB)
    h ^= h >> _U64(31)
    return h


@dataclass(frozen=True)
class NgramSpec:
    """Which features a text yields: word n-grams of orders 1..word_ngrams, character n-grams of lengths
    char_min..char_max inside each word marked with boundaries (none when char_max is 0)."""

    num_buckets: int
    word_ngrams: int = 2
    char_min: int = 3
    char_max: int = 0
    binary: bool = True  # a feature counts once per text however often it occurs

    def __post_init__(self):
        if self.num_buckets < 1 or self.word_ngrams < 1 or self.word_ngrams > len(_ORDER_SEEDS):
            raise ValueError(f"need num_buckets >= 1 and 1 <= word_ngrams <= {len(_ORDER_SEEDS)}, got {self}")
        if self.char_max and not 1 <= self.char_min <= self.char_max:
            raise ValueError(f"need 1 <= char_min <= char_max, got {self.char_min}..{self.char_max}")


def _normalized_bytes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """All texts lowercased into one byte array, each followed by a separator, and each text's start."""
    encoded = [t.encode("utf-8", "replace") for t in texts]
    lengths = np.fromiter(map(len, encoded), np.int64, len(encoded)) + 1
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    data = _LOWER[np.frombuffer(b"\n".join(encoded) + b"\n", np.uint8)]
    return data, starts


def _byte_classes(data: np.ndarray) -> np.ndarray:
    classes = _CLASS[data]
    # HTML line breaks ("<br />", frequent in scraped reviews) are layout, not words.
    for tag in (b"<br />", b"<br/>", b"<br>"):
        classes[_find(data, tag)[:, None] + np.arange(len(tag))] = _SPACE
    # Latin-1 punctuation and C1 controls (U+0080..U+00BF, lead byte 0xC2) and the general punctuation block
    # (U+2000..U+206F: curly quotes, dashes, ellipsis; lead bytes 0xE2 0x80/0x81) separate like ASCII spaces.
    n = len(data)
    lead_c2 = np.flatnonzero(data[:-1] == 0xC2)
    classes[np.concatenate((lead_c2, lead_c2 + 1))] = _SPACE
    lead_e2 = np.flatnonzero((data[:-2] == 0xE2) & ((data[1:-1] & 0xFE) == 0x80))
    classes[np.concatenate((lead_e2, lead_e2 + 1, lead_e2 + 2))] = _SPACE
    apostrophe = np.flatnonzero(data[1 : n - 1] == ord("'")) + 1
    inner = apostrophe[(classes[apostrophe - 1] == _WORD) & (classes[apostrophe + 1] == _WORD)]
    classes[inner] = _WORD
    return classes


def _find(data: np.ndarray, pattern: bytes) -> np.ndarray:
    """Start positions of ``pattern`` in ``data``, checked one byte at a time on the surviving candidates."""
    candidates = np.flatnonzero(data[: len(data) - len(pattern) + 1] == pattern[0])
    for k in range(1, len(pattern)):
        candidates = candidates[data[candidates + k] == pattern[k]]
    return candidates


class _PrefixHash:
    """Polynomial hashes of arbitrary byte ranges in O(1) each, after one O(n) prefix sum.

    sum_{t<i} c[t] * B**t is kept for every i; the range [s, e) is (S[e] - S[s]) * B**-s, i.e.
    sum_t c[s + t] * B**t, which depends on the bytes only, not on where they sit. uint64 wraps modulo 2**64.
    """

    def __init__(self, codes: np.ndarray):
        n = len(codes)
        powers = np.empty(n + 1, dtype=_U64)
        powers[0] = 1
        powers[1:] = _BASE
        np.cumprod(powers, out=powers)
        self.inverse_powers = np.empty(n + 1, dtype=_U64)
        self.inverse_powers[0] = 1
        self.inverse_powers[1:] = _BASE_INV
        np.cumprod(self.inverse_powers, out=self.inverse_powers)
        self.prefix = np.zeros(n + 1, dtype=_U64)
        np.cumsum(codes.astype(_U64) * powers[:n], out=self.prefix[1:])

    def __call__(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        return (self.prefix[ends] - self.prefix[starts]) * self.inverse_powers[starts]


def _chunk_features(texts: Sequence[str], spec: NgramSpec) -> tuple[np.ndarray, np.ndarray]:
    """Bucket ids of every feature of every text, grouped by text, and each text's feature count."""
    data, text_starts = _normalized_bytes(texts)
    classes = _byte_classes(data)
    word = classes == _WORD
    punct = classes == _PUNCT
    previous_word = np.concatenate(([False], word[:-1]))
    next_word = np.concatenate((word[1:], [False]))
    starts = np.flatnonzero((word & ~previous_word) | punct)
    ends = np.flatnonzero((word & ~next_word) | punct) + 1
    hasher = _PrefixHash(data)
    tokens = mix64(hasher(starts, ends) ^ (ends - starts).astype(_U64))
    doc = np.searchsorted(text_starts, starts, side="right") - 1

    hashes, docs = [], []
    window = tokens.copy()
    for order in range(1, spec.word_ngrams + 1):
        if order > 1:
            # The n-gram starting at token i folds in token i + order - 1; windows crossing texts are dropped.
            window = mix64(window[:-1] * _U64(_BASE) + tokens[order - 1 :])
            keep = doc[order - 1 :] == doc[: len(doc) - order + 1]
            hashes.append(window[keep] ^ _U64(_ORDER_SEEDS[order - 1]))
            docs.append(doc[: len(doc) - order + 1][keep])
        else:
            hashes.append(mix64(window ^ _U64(_ORDER_SEEDS[0])))
            docs.append(doc)
    if spec.char_max:
        char_hashes, char_docs = _char_ngrams(data, word, starts[word[starts]], ends[word[starts]],
                                              doc[word[starts]], spec)
        hashes.append(char_hashes)
        docs.append(char_docs)
    return _group_by_text(np.concatenate(hashes), np.concatenate(docs), len(texts), spec)


def _char_ngrams(data, word, starts, ends, doc, spec: NgramSpec) -> tuple[np.ndarray, np.ndarray]:
    """Character n-grams of each word with a boundary mark on either side (the separator bytes around it).

    Every non-word byte becomes one code, so "<good>" reads the same after a space, a comma or a text start.
    """
    codes = np.where(word, data, 1).astype(np.uint8)
    codes = np.concatenate(([1], codes))  # a word at byte 0 still gets a leading boundary
    hasher = _PrefixHash(codes)
    span = ends - starts + 2  # the word and its two boundary marks, shifted by the leading pad: [s, e + 2)
    hashes, docs = [], []
    for n in range(spec.char_min, spec.char_max + 1):
        count = np.maximum(span - n + 1, 0)
        total = int(count.sum())
        if total == 0:
            continue
        first = np.repeat(starts, count)
        local = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
        begin = first + local
        hashes.append(mix64(hasher(begin, begin + n) ^ _U64(_CHAR_SEED + n)))
        docs.append(np.repeat(doc, count))
    if not hashes:
        return np.zeros(0, _U64), np.zeros(0, np.int64)
    return np.concatenate(hashes), np.concatenate(docs)


def _group_by_text(hashes: np.ndarray, docs: np.ndarray, n_texts: int, spec: NgramSpec):
    buckets = (hashes % _U64(spec.num_buckets)).astype(np.int64)
    if spec.binary:
        # np.sort then a neighbour comparison: several times faster than np.unique's hash table here.
        keys = np.sort(docs * spec.num_buckets + buckets)
        first = np.ones(len(keys), dtype=bool)
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        docs, buckets = np.divmod(keys[first], spec.num_buckets)
    else:
        # Each order's features are already in text order: a stable sort merges the runs.
        order = np.argsort(docs, kind="stable")
        docs, buckets = docs[order], buckets[order]
    return buckets, np.bincount(docs, minlength=n_texts)


def _chunks(texts: list[str]) -> list[list[str]]:
    ends = np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts)))
    cuts = np.unique(np.searchsorted(ends, np.arange(_CHUNK_BYTES, ends[-1] if len(ends) else 0, _CHUNK_BYTES)))
    bounds = [0, *(int(c) + 1 for c in cuts if c + 1 < len(texts)), len(texts)]
    return [texts[a:b] for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def hash_features(texts: Sequence[str], spec: NgramSpec, workers: int | None = None) -> RaggedIds:
    """Bucket ids of each text's features (word and character n-grams), as one flat array plus offsets."""
    texts = list(texts)
    chunks = _chunks(texts)
    workers = workers or min(2, os.cpu_count() or 1)
    if workers > 1 and len(chunks) > 1:
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(lambda chunk: _chunk_features(chunk, spec), chunks))
    else:
        parts = [_chunk_features(chunk, spec) for chunk in chunks]
    values = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    counts = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
    return RaggedIds(values, np.concatenate(([0], np.cumsum(counts))).astype(np.int64))
