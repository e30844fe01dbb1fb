"""The n-gram hashing as it was at commit 4532bf2 (before it hashed each distinct word's character n-grams once),
kept to check that the faster implementation gives the same ids in the same order: saved runs depend on both.

Tokenization and the hash primitives (``_normalized_bytes``, ``_token_bounds``, ``_PrefixHash``, ``mix64``) did
not change and are imported; everything that did is copied here as it was.
"""
from __future__ import annotations

import numpy as np

from textclass.text.hashing import (_BASE, _CHAR_SEED, _ORDER_SEEDS, _U64, NgramSpec, _normalized_bytes, _PrefixHash,
                                    _token_bounds, mix64)
from textclass.text.ragged import RaggedIds


def reference_hash_features(texts: list[str], spec: NgramSpec, rows: np.ndarray | None = None) -> RaggedIds:
    if not texts:
        return RaggedIds(np.zeros(0, np.int64), np.zeros(1, np.int64))
    ids, counts = _chunk_features(texts, spec, rows)
    return RaggedIds(ids, np.concatenate(([0], np.cumsum(counts))))


def _chunk_features(texts, spec: NgramSpec, rows):
    data, text_starts = _normalized_bytes(texts)
    word, starts, ends = _token_bounds(data)
    tokens = mix64(_PrefixHash(data)(starts, ends) ^ (ends - starts).astype(_U64))
    doc = np.searchsorted(text_starts, starts, side="right") - 1
    n, orders = len(tokens), spec.word_ngrams
    grid = np.zeros((n, orders), dtype=_U64)
    valid = np.zeros((n, orders), dtype=bool)
    window = tokens
    for k in range(min(orders, n)):
        if k:
            window = mix64(window[:-1] * _U64(_BASE) + tokens[k:])
            valid[: n - k, k] = doc[k:] == doc[: n - k]
        else:
            valid[:, 0] = True
        grid[: n - k, k] = window ^ _U64(_ORDER_SEEDS[k])
    hashes, docs = grid[valid], np.broadcast_to(doc[:, None], grid.shape)[valid]
    if spec.char_max:
        is_word = word[starts]
        char_hashes, char_docs = _char_ngrams(data, word, starts[is_word], ends[is_word], doc[is_word], spec)
        merged = np.argsort(np.concatenate((docs, char_docs)), kind="stable")
        hashes, docs = np.concatenate((hashes, char_hashes))[merged], np.concatenate((docs, char_docs))[merged]
    id_type = np.int32 if spec.num_buckets <= 2**31 else np.int64
    buckets = (mix64(hashes) % _U64(spec.num_buckets)).astype(id_type)
    space = spec.num_buckets
    if rows is not None:
        mapped = rows[buckets]
        kept = mapped >= 0
        buckets, docs, space = mapped[kept].astype(np.int64), docs[kept], 1 << 40
    if spec.binary:
        keep = _first_of_each(docs * space + buckets)
        buckets, docs = buckets[keep], docs[keep]
    return buckets, np.bincount(docs, minlength=len(texts))


def _char_ngrams(data, word, starts, ends, doc, spec: NgramSpec):
    codes = np.concatenate(([1], np.where(word, data, 1))).astype(_U64)
    hasher = _PrefixHash(codes)
    lengths = np.arange(spec.char_min, spec.char_max + 1)
    count = np.maximum((ends - starts + 3)[:, None] - lengths, 0)
    total = int(count.sum())
    word_of = np.repeat(np.arange(len(starts)), count.sum(1))
    size = np.repeat(np.broadcast_to(lengths, count.shape).ravel(), count.ravel())
    first = np.cumsum(count.ravel()) - count.ravel()
    offset = np.arange(total) - np.repeat(first, count.ravel())
    begin = starts[word_of] + offset
    return hasher(begin, begin + size) ^ (size.astype(_U64) * _U64(_CHAR_SEED)), doc[word_of]


def _first_of_each(keys: np.ndarray) -> np.ndarray:
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
