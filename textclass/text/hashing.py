"""Deterministic, vectorized hashing of word and character n-grams into a fixed number of buckets.

Texts are tokenized on their UTF-8 bytes with NumPy: a byte table says which bytes belong to words
(ASCII letters and digits, non-ASCII letters, an apostrophe between two word bytes) and which ASCII
punctuation marks stand as one-byte tokens ("!" and "?" carry sentiment); everything else separates.
A token's 64-bit hash is a polynomial hash of its bytes, computed for all tokens at once from prefix sums,
so there is no per-token Python work and the ids are the same in every process (Python's ``hash()`` is
salted per process and is never used). N-gram hashes fold the token hashes of a window together.
Work is cut into chunks of texts that two threads hash in parallel (NumPy releases the GIL).
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .ragged import RaggedIds

_U64 = np.uint64
# Odd, so invertible modulo 2**64: the prefix-sum hash divides by powers of it.
_BASE = 0x100000001B3
_BASE_INV = pow(_BASE, -1, 2**64)
_ORDER_SEEDS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53)
_CHAR_SEED = 0x2545F4914F6CDD1D
_CHUNK_BYTES = 1 << 16  # per task: its arrays stay in cache; NumPy call overhead is still small at this size

_WORD, _PUNCT, _SPACE = 0, 1, 2
_CLASS = np.full(256, _SPACE, dtype=np.uint8)
_CLASS[np.frombuffer(b"abcdefghijklmnopqrstuvwxyz0123456789", np.uint8)] = _WORD
_CLASS[0x80:] = _WORD
_CLASS[np.frombuffer(b"!?.,;:()\"-*&$%/=+#@~[]{}<>|\\^`_", np.uint8)] = _PUNCT
_LOWER = np.arange(256, dtype=np.uint8)
_LOWER[ord("A") : ord("Z") + 1] += 32


def mix64(h: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer: every input bit reaches every output bit, so ``% buckets`` is uniform."""
    h = h ^ (h >> _U64(30))
    h *= _U64(0xBF58476D1CE4E5B9)
    h ^= h >> _U64(27)
    h *= _U64(0x94D049BB133111EB)
    h ^= h >> _U64(31)
    return h


@dataclass(frozen=True)
class NgramSpec:
    """The features of a text: word n-grams of orders 1..word_ngrams, and character n-grams of lengths
    char_min..char_max of each word between boundary marks (none when char_max is 0)."""

    num_buckets: int
    word_ngrams: int = 2
    char_min: int = 3
    char_max: int = 0
    binary: bool = True  # a feature counts once per text however often it occurs

    def __post_init__(self):
        if not 1 <= self.num_buckets < 2**40 or not 1 <= self.word_ngrams <= len(_ORDER_SEEDS):
            raise ValueError(f"need 1 <= num_buckets < 2**40 and 1 <= word_ngrams <= {len(_ORDER_SEEDS)}: {self}")
        if self.char_max and not 1 <= self.char_min <= self.char_max:
            raise ValueError(f"need 1 <= char_min <= char_max, got {self.char_min}..{self.char_max}")


class _Powers:
    """B**i and B**-i modulo 2**64 for i up to the longest chunk seen, computed once and shared by threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._up, self._down = np.ones(1, _U64), np.ones(1, _U64)

    def get(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            if len(self._up) <= n:
                size = 1 << max(n, 1).bit_length()
                self._up, self._down = _power_table(_BASE, size), _power_table(_BASE_INV, size)
            return self._up[: n + 1], self._down[: n + 1]


def _power_table(base: int, size: int) -> np.ndarray:
    # Doubling: the second half of the first 2k powers is the first half times base**k; log2(size) steps.
    table = np.ones(size, _U64)
    k = 1
    while k < size:
        table[k : 2 * k] = table[: min(k, size - k)] * _U64(pow(base, k, 2**64))
        k *= 2
    return table


_POWERS = _Powers()


class _PrefixHash:
    """Polynomial hashes of any byte ranges in O(1) each, after one prefix sum.

    S[i] = sum_{t<i} c[t] * B**t; the range [s, e) hashes to (S[e] - S[s]) * B**-s = sum_t c[s + t] * B**t,
    which depends on the bytes only, not on where they sit. uint64 arithmetic wraps modulo 2**64.
    """

    def __init__(self, codes: np.ndarray):
        up, self.down = _POWERS.get(len(codes))
        self.prefix = np.zeros(len(codes) + 1, dtype=_U64)
        np.cumsum(codes * up[:-1], out=self.prefix[1:])

    def __call__(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        return (self.prefix[ends] - self.prefix[starts]) * self.down[starts]


def _normalized_bytes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The texts lowercased into one byte array, each followed by a separator, and where each text starts."""
    encoded = [t.encode("utf-8", "replace") for t in texts]
    lengths = np.fromiter(map(len, encoded), np.int64, len(encoded)) + 1
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    data = _LOWER[np.frombuffer(b"\n".join(encoded) + b"\n", np.uint8)]
    return data, starts


def _byte_classes(data: np.ndarray) -> np.ndarray:
    classes = _CLASS[data]
    # HTML line breaks (frequent in scraped reviews) are layout, not words.
    for tag in (b"<br />", b"<br/>", b"<br>"):
        classes[_find(data, tag)[:, None] + np.arange(len(tag))] = _SPACE
    # Latin-1 punctuation and C1 controls (U+0080..U+00BF, lead byte 0xC2) and the general punctuation block
    # (U+2000..U+206F: curly quotes, dashes, ellipsis; 0xE2 0x80/0x81) separate words like spaces do.
    lead_c2 = np.flatnonzero(data[:-1] == 0xC2)
    classes[np.concatenate((lead_c2, lead_c2 + 1))] = _SPACE
    lead_e2 = np.flatnonzero((data[:-2] == 0xE2) & ((data[1:-1] & 0xFE) == 0x80))
    classes[np.concatenate((lead_e2, lead_e2 + 1, lead_e2 + 2))] = _SPACE
    apostrophe = np.flatnonzero(data[1:-1] == ord("'")) + 1
    classes[apostrophe[(classes[apostrophe - 1] == _WORD) & (classes[apostrophe + 1] == _WORD)]] = _WORD
    return classes


def _find(data: np.ndarray, pattern: bytes) -> np.ndarray:
    """Start positions of ``pattern`` in ``data``: candidates for the first byte, filtered byte by byte."""
    candidates = np.flatnonzero(data[: len(data) - len(pattern) + 1] == pattern[0])
    for k in range(1, len(pattern)):
        candidates = candidates[data[candidates + k] == pattern[k]]
    return candidates


def _token_bounds(data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which bytes are word bytes, and where each token (a word, or one punctuation mark) starts and ends."""
    classes = _byte_classes(data)
    word = classes == _WORD
    punct = classes == _PUNCT
    starts = np.flatnonzero((word & ~np.concatenate(([False], word[:-1]))) | punct)
    ends = np.flatnonzero((word & ~np.concatenate((word[1:], [False]))) | punct) + 1
    return word, starts, ends


def tokens(text: str) -> list[str]:
    """The tokens of ``text`` as the hashing reads them (lowercased words and punctuation marks), in order."""
    data, _ = _normalized_bytes([text])
    _, starts, ends = _token_bounds(data)
    return [data[a:b].tobytes().decode("utf-8", "replace") for a, b in zip(starts, ends)]


def _chunk_features(texts: Sequence[str], spec: NgramSpec,
                    rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Ids of every feature of every text, grouped by text, and each text's feature count."""
    data, text_starts = _normalized_bytes(texts)
    word, starts, ends = _token_bounds(data)
    tokens = mix64(_PrefixHash(data)(starts, ends) ^ (ends - starts).astype(_U64))
    doc = np.searchsorted(text_starts, starts, side="right") - 1

    # Row t holds the n-grams that start at token t, one column per order, so flattening keeps text order.
    n, orders = len(tokens), spec.word_ngrams
    grid = np.zeros((n, orders), dtype=_U64)
    valid = np.zeros((n, orders), dtype=bool)
    window = tokens
    for k in range(min(orders, n)):  # no n-gram is longer than the chunk (slices below would wrap at n - k < 0)
        if k:
            # Fold in token t + k; a window that runs into the next text is not an n-gram.
            window = mix64(window[:-1] * _U64(_BASE) + tokens[k:])
            valid[: n - k, k] = doc[k:] == doc[: n - k]
        else:
            valid[:, 0] = True
        grid[: n - k, k] = window ^ _U64(_ORDER_SEEDS[k])
    hashes, docs = grid[valid], np.broadcast_to(doc[:, None], grid.shape)[valid]
    if spec.char_max:
        is_word = word[starts]
        char_hashes, char_docs = _char_ngrams(data, word, starts[is_word], ends[is_word], doc[is_word], spec)
        # Word and character features are two runs in text order; a stable sort merges them.
        merged = np.argsort(np.concatenate((docs, char_docs)), kind="stable")
        hashes, docs = np.concatenate((hashes, char_hashes))[merged], np.concatenate((docs, char_docs))[merged]
    # int32 halves the memory of a large corpus's ids; the dedupe key below still widens to int64.
    id_type = np.int32 if spec.num_buckets <= 2**31 else np.int64
    buckets = (mix64(hashes) % _U64(spec.num_buckets)).astype(id_type)
    space = spec.num_buckets
    if rows is not None:
        # Features training never kept are dropped before deduplication, which then sorts out fewer of them.
        mapped = rows[buckets]
        kept = mapped >= 0
        buckets, docs, space = mapped[kept].astype(np.int64), docs[kept], 1 << 40
    if spec.binary:
        keep = _first_of_each(docs * space + buckets)
        buckets, docs = buckets[keep], docs[keep]
    return buckets, np.bincount(docs, minlength=len(texts))


def _char_ngrams(data, word, starts, ends, doc, spec: NgramSpec) -> tuple[np.ndarray, np.ndarray]:
    """Character n-grams of each word with a boundary mark on each side, in text order.

    Every non-word byte becomes the same code, so "<good>" reads the same after a space, a comma or a text start.
    """
    codes = np.concatenate(([1], np.where(word, data, 1))).astype(_U64)  # the pad gives byte 0 a left mark
    hasher = _PrefixHash(codes)
    # After the pad, word [s, e) and its two marks occupy [s, e + 2) of ``codes``.
    lengths = np.arange(spec.char_min, spec.char_max + 1)
    count = np.maximum((ends - starts + 3)[:, None] - lengths, 0)  # [words, lengths]
    total = int(count.sum())
    word_of = np.repeat(np.arange(len(starts)), count.sum(1))
    size = np.repeat(np.broadcast_to(lengths, count.shape).ravel(), count.ravel())
    first = np.cumsum(count.ravel()) - count.ravel()
    offset = np.arange(total) - np.repeat(first, count.ravel())
    begin = starts[word_of] + offset
    return hasher(begin, begin + size) ^ (size.astype(_U64) * _U64(_CHAR_SEED)), doc[word_of]


def _first_of_each(keys: np.ndarray) -> np.ndarray:
    """Mask keeping one occurrence of every distinct key, in O(n) through a scatter table (no sort).

    Every key writes its position into a slot chosen by its hash; a slot keeps one writer. A position that
    lost its slot to an equal key is a duplicate; one that lost to a different key (a table collision) is
    retried with a fresh hash until none is left.
    """
    keep = np.zeros(len(keys), dtype=bool)
    pending = np.arange(len(keys))
    salt = 0
    while len(pending):
        size = 1 << (2 * len(pending)).bit_length()
        slots = (mix64(keys[pending].astype(_U64) + _U64(_ORDER_SEEDS[salt % len(_ORDER_SEEDS)] + salt))
                 & _U64(size - 1)).astype(np.int64)
        table = np.empty(size, dtype=np.int64)
        table[slots] = pending
        winner = table[slots]
        won = winner == pending
        keep[pending[won]] = True
        lost = pending[~won]
        pending = lost[keys[winner[~won]] != keys[lost]]
        salt += 1
    return keep


def _chunks(texts: list[str]) -> list[list[str]]:
    ends = np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts)))
    cuts = np.searchsorted(ends, np.arange(_CHUNK_BYTES, ends[-1] if len(ends) else 0, _CHUNK_BYTES)) + 1
    bounds = np.unique(np.concatenate(([0], cuts, [len(texts)])))
    return [texts[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def hash_features(texts: Sequence[str], spec: NgramSpec, workers: int | None = None,
                  rows: np.ndarray | None = None) -> RaggedIds:
    """Bucket ids of each text's features (word and character n-grams): one flat array plus offsets.

    Bucket ids are int32 while ``num_buckets`` allows. With ``rows`` (bucket id -> row id, negative to drop
    the feature) the ids are int64 rows instead: mapping each chunk as it is hashed keeps the bucket ids of a
    large corpus from ever existing all at once.
    """
    chunks = _chunks(list(texts))
    workers = workers or min(2, os.cpu_count() or 1)
    if workers > 1 and len(chunks) > 1:
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(lambda chunk: _chunk_features(chunk, spec, rows), chunks))
    else:
        parts = [_chunk_features(chunk, spec, rows) for chunk in chunks]
    if not parts:
        return RaggedIds(np.zeros(0, np.int64), np.zeros(1, np.int64))
    counts = np.concatenate([p[1] for p in parts])
    return RaggedIds(np.concatenate([p[0] for p in parts]), np.concatenate(([0], np.cumsum(counts))))
