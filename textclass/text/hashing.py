"""Deterministic, vectorized hashing of word and character n-grams into a fixed number of buckets.

Texts are tokenized on their UTF-8 bytes with NumPy: a byte table says which bytes belong to words
(ASCII letters and digits, non-ASCII letters, an apostrophe between two word bytes) and which ASCII
punctuation marks stand as one-byte tokens ("!" and "?" carry sentiment); everything else separates.
A token's 64-bit hash is a polynomial hash of its bytes, computed for all tokens at once from prefix sums,
so there is no per-token Python work and the ids are the same in every process (Python's ``hash()`` is
salted per process and is never used). N-gram hashes fold the token hashes of a window together; a word's
character n-grams are hashed once per distinct word of a chunk and copied to its occurrences. Keeping one
occurrence of each feature per text uses a scatter table, not a sort. Work is cut into chunks of texts that two
threads hash in parallel (NumPy releases the GIL).
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
_MULTIPLIERS_32 = (0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F, 0x165667B1, 0xD3A2646D)  # odd
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
    """Ids of every feature of every text, grouped by text, and each text's feature count.

    A text's features are its word n-grams (by starting token, orders in turn) followed by its words'
    character n-grams (by word, lengths in turn, offsets in turn); with ``binary`` only the last occurrence of
    each id in a text stays. That order is part of the result: the model sums a text's features in it.
    """
    data, text_starts = _normalized_bytes(texts)
    word, starts, ends = _token_bounds(data)
    tokens = mix64(_PrefixHash(data)(starts, ends) ^ (ends - starts).astype(_U64))
    doc = np.searchsorted(text_starts, starts, side="right") - 1
    ids, counts = _word_ngram_ids(tokens, doc, spec, rows, len(texts))
    if spec.char_max:
        is_word = word[starts]
        ids, counts = _with_char_ngrams(ids, counts, data, word, starts[is_word], ends[is_word], doc[is_word],
                                        tokens[is_word], spec, rows)
    if spec.binary:
        keep = _last_of_each(ids, counts)
        kept_before = np.concatenate(([0], np.cumsum(keep)))
        text_ends = np.cumsum(counts)
        ids, counts = ids[keep], kept_before[text_ends] - kept_before[text_ends - counts]
    return (ids if rows is None else ids.astype(np.int64)), counts


def _bucket_ids(hashes: np.ndarray, spec: NgramSpec,
                rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """The features' bucket ids; with ``rows``, their row ids instead and which features have one."""
    mixed = mix64(hashes)
    if spec.num_buckets & (spec.num_buckets - 1) == 0:  # a mask is exact for powers of two, and far cheaper
        mixed &= _U64(spec.num_buckets - 1)
    else:
        mixed %= _U64(spec.num_buckets)
    # int32 halves the memory of a large corpus's ids
    buckets = mixed.astype(np.int32 if spec.num_buckets <= 2**31 else np.int64)
    if rows is None:
        return buckets, None
    mapped = rows.take(buckets)  # take: faster than indexing on a large table
    kept = mapped >= 0
    return mapped[kept], kept  # in the table's type (int32 from the encoder) until the end: half the traffic


def _word_ngram_ids(tokens: np.ndarray, doc: np.ndarray, spec: NgramSpec, rows: np.ndarray | None,
                    n_texts: int) -> tuple[np.ndarray, np.ndarray]:
    """Ids of the word n-grams that start at each token, orders 1..word_ngrams in turn, and each text's count."""
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
    ids, kept = _bucket_ids(grid[valid], spec, rows)
    docs = np.broadcast_to(doc[:, None], grid.shape)[valid]
    return ids, np.bincount(docs if kept is None else docs[kept], minlength=n_texts)


def _with_char_ngrams(ids, counts, data, word, starts, ends, doc, tokens, spec: NgramSpec,
                      rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``ids`` (each text's word features) with each text's words' character n-grams after its word features.

    A word's character n-grams depend on its bytes only, and short texts repeat their words a lot (BANKING77's
    test set: about 13 occurrences per distinct word), so they are hashed once per distinct word of the chunk.
    The result is then one gather: per text, a segment of word features, then one segment per word occurrence
    from the distinct words' table.
    """
    n_texts = len(counts)
    first = _same_word(tokens, data, starts, ends)
    distinct = np.flatnonzero(first == np.arange(len(first)))
    hashes, word_of = _char_ngrams(data, word, starts[distinct], ends[distinct], spec)
    char_ids, kept = _bucket_ids(hashes, spec, rows)
    per_word = np.bincount(word_of if kept is None else word_of[kept], minlength=len(distinct))
    slot = np.empty(len(first), dtype=np.int64)
    slot[distinct] = np.arange(len(distinct))
    occurrence = slot[first]
    occurrence_count = per_word[occurrence]
    # Segment order: text 0's word features, text 0's word occurrences, text 1's word features, ...
    words_per_text = np.bincount(doc, minlength=n_texts)
    text_segment = np.arange(n_texts) + np.cumsum(words_per_text) - words_per_text
    word_segment = doc + 1 + np.arange(len(doc))
    segment_start = np.empty(n_texts + len(doc), dtype=np.int64)
    segment_count = np.empty(n_texts + len(doc), dtype=np.int64)
    segment_start[text_segment], segment_count[text_segment] = np.cumsum(counts) - counts, counts
    segment_start[word_segment] = len(ids) + (np.cumsum(per_word) - per_word)[occurrence]
    segment_count[word_segment] = occurrence_count
    index = np.repeat(segment_start - (np.cumsum(segment_count) - segment_count), segment_count)
    index += np.arange(len(index))
    counts = counts + np.bincount(doc, weights=occurrence_count, minlength=n_texts).astype(np.int64)
    return np.concatenate((ids, char_ids)).take(index), counts


def _same_word(tokens: np.ndarray, data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """For each word, the position of one occurrence of the same bytes (itself for the one chosen).

    Occurrences are grouped by their 64-bit token hash through a scatter table; the bytes are then compared, so
    two different words that share a hash each stand for themselves.
    """
    same = np.empty(len(tokens), dtype=np.int64)
    pending, salt = np.arange(len(tokens)), 0
    while len(pending):
        bits = max(2 * len(pending), 2).bit_length()
        # The tokens are mix64 outputs: any multiplier's top bits spread them over the table.
        multiplier = _U64(_ORDER_SEEDS[salt % len(_ORDER_SEEDS)])
        slots = ((tokens[pending] * multiplier + _U64(salt)) >> _U64(64 - bits)).astype(np.int64)
        table = np.empty(1 << bits, dtype=np.int64)
        table[slots] = pending
        winner = table[slots]
        found = tokens[winner] == tokens[pending]
        same[pending[found]] = winner[found]
        pending, salt = pending[~found], salt + 1
    copies = np.flatnonzero(same != np.arange(len(same)))
    original = same[copies]
    differ = ~_equal_bytes(data, starts[copies], starts[original], ends[copies] - starts[copies],
                           ends[original] - starts[original])
    same[copies[differ]] = copies[differ]
    return same


def _equal_bytes(data: np.ndarray, a: np.ndarray, b: np.ndarray, a_length: np.ndarray,
                 b_length: np.ndarray) -> np.ndarray:
    """Whether ``data[a[i]:a[i] + a_length[i]]`` equals ``data[b[i]:b[i] + b_length[i]]``, compared 8 bytes at a
    time (most words fit in one load)."""
    equal = a_length == b_length
    same_length = np.flatnonzero(equal)
    a, b, length = a[same_length], b[same_length], a_length[same_length]
    padded = np.concatenate((data, np.zeros(8, np.uint8)))
    # Every byte offset read as a little-endian uint64 (unaligned loads through a strided view).
    loads = np.ndarray((len(data) + 1,), dtype="<u8", buffer=padded, strides=(1,))
    blocks = (length + 7) >> 3
    block_of = np.repeat(np.arange(len(a)), blocks)
    offset = 8 * (np.arange(len(block_of)) - np.repeat(np.cumsum(blocks) - blocks, blocks))
    left = (length[block_of] - offset).astype(_U64)  # bytes of the word still to compare, at least 1
    mask = np.where(left >= 8, _U64(2**64 - 1), (_U64(1) << (_U64(8) * np.minimum(left, _U64(7)))) - _U64(1))
    differs = ((loads[a[block_of] + offset] ^ loads[b[block_of] + offset]) & mask) != 0
    equal[same_length[block_of[differs]]] = False
    return equal


def _char_ngrams(data, word, starts, ends, spec: NgramSpec) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the character n-grams of each word with a boundary mark on each side, and their word's number.

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
    return hasher(begin, begin + size) ^ (size.astype(_U64) * _U64(_CHAR_SEED)), word_of


def _last_of_each(ids: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Mask keeping the last occurrence of every id within each text (``counts[i]`` ids per text), in O(n).

    Each text gets its own stretch of a scatter table, at least twice its feature count, so writes stay close
    together in memory. Every feature writes its position into a slot of its text's stretch chosen from its id
    (multiplicative hashing: the top bits of id x an odd constant); NumPy assigns a repeated index in order, so a
    slot keeps its last writer. A position that lost to an equal id is an earlier duplicate; one that lost to a
    different id (a slot collision) is retried with another multiplier until none is left. Equal ids always share
    a slot, so the last of them wins in the end.
    """
    # 32-bit keys, slots and positions when the ids fit: half the memory traffic of 64-bit ones.
    narrow = len(ids) < 2**31 and (ids.dtype.itemsize <= 4 or not len(ids) or int(ids.max()) < 2**32)
    key_type, index_type = (np.uint32, np.int32) if narrow else (_U64, np.int64)
    keys = ids.view(key_type) if ids.dtype.itemsize == np.dtype(key_type).itemsize else ids.astype(key_type)
    multipliers = _MULTIPLIERS_32 if narrow else _ORDER_SEEDS
    bits = np.frexp(2 * counts)[1].astype(np.int64)  # 2**(bits - 1) <= 2 * count < 2**bits
    size = 1 << bits
    table = np.empty(int(size.sum()), dtype=index_type)
    # Per feature: where its text's stretch starts, and the shift that leaves a hash as many bits as it has.
    base = np.repeat((np.cumsum(size) - size).astype(index_type), counts)
    shift = np.repeat((8 * keys.itemsize - bits).astype(key_type), counts)
    positions = np.arange(len(ids), dtype=index_type)
    hashed = keys * key_type(multipliers[0])
    np.right_shift(hashed, shift, out=hashed)
    slots = hashed.view(index_type)  # fewer than 2**bits <= 2**31: the same number signed
    slots += base
    table[slots] = positions
    winner = table[slots]
    keep = winner == positions
    lost = np.flatnonzero(~keep)
    pending, salt = lost[keys[winner[lost]] != keys[lost]], 1
    while len(pending):  # the few that collided with a different id, a smaller set each round
        multiplier = key_type(multipliers[salt % len(multipliers)])
        slots = base[pending] + ((keys[pending] * multiplier + key_type(salt)) >> shift[pending]).astype(index_type)
        table[slots] = pending
        winner = table[slots]
        won = winner == pending
        keep[pending[won]] = True
        lost = pending[~won]
        pending, salt = lost[keys[winner[~won]] != keys[lost]], salt + 1
    return keep


def _chunks(texts: list[str], workers: int = 1) -> list[list[str]]:
    """Runs of texts of about ``_CHUNK_BYTES`` characters, as many as a multiple of ``workers`` so that each
    thread gets the same amount of text (BANKING77's test set: two halves rather than 64k, 64k and 39k)."""
    ends = np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts)))
    total = int(ends[-1]) if len(ends) else 0
    pieces = workers * max(1, round(total / (workers * _CHUNK_BYTES)))
    cuts = np.minimum(np.searchsorted(ends, np.arange(1, pieces) * (total / pieces)) + 1, len(texts))
    bounds = np.concatenate(([0], cuts, [len(texts)]))
    bounds = bounds[np.concatenate(([True], np.diff(bounds) > 0))]  # np.unique would import numpy.ma: 20 ms
    return [texts[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


class _Pool:
    """One thread pool per process, made on first use: starting threads on every call costs milliseconds on
    a busy machine. A forked child (a server's worker) makes its own, since threads do not survive a fork."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pools: dict[int, ThreadPoolExecutor] = {}
        os.register_at_fork(after_in_child=self._pools.clear)

    def get(self, workers: int) -> ThreadPoolExecutor:
        with self._lock:
            if workers not in self._pools:
                self._pools[workers] = ThreadPoolExecutor(workers, thread_name_prefix="textclass-hashing")
            return self._pools[workers]


_POOL = _Pool()


def hash_features(texts: Sequence[str], spec: NgramSpec, workers: int | None = None,
                  rows: np.ndarray | None = None) -> RaggedIds:
    """Bucket ids of each text's features (word and character n-grams): one flat array plus offsets.

    Bucket ids are int32 while ``num_buckets`` allows. With ``rows`` (bucket id -> row id, negative to drop
    the feature) the ids are int64 rows instead: mapping each chunk as it is hashed keeps the bucket ids of a
    large corpus from ever existing all at once.
    """
    workers = workers or min(2, os.cpu_count() or 1)
    chunks = _chunks(list(texts), workers)
    if workers > 1 and len(chunks) > 1:
        parts = list(_POOL.get(workers).map(lambda chunk: _chunk_features(chunk, spec, rows), chunks))
    else:
        parts = [_chunk_features(chunk, spec, rows) for chunk in chunks]
    if not parts:
        return RaggedIds(np.zeros(0, np.int64), np.zeros(1, np.int64))
    counts = np.concatenate([p[1] for p in parts])
    return RaggedIds(np.concatenate([p[0] for p in parts]), np.concatenate(([0], np.cumsum(counts))))
