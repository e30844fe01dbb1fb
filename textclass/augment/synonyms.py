"""Synonyms as nearest neighbours in a word-vectors file, over the training data's most frequent words.

Restricting the table to the training vocabulary keeps the matrix small (``max_words x dim``) and makes
every synonym a word the classifier will actually have an embedding for.
"""
from __future__ import annotations

import logging
from collections import Counter

import numpy as np

from ..errors import DataError
from ..text.vectors import load_vectors

log = logging.getLogger("textclass.augment")

# Rows of the similarity matrix computed at once: 2048 x 20000 float32 is 160 MB at most.
_ROWS = 2048


def nearest_neighbours(matrix: np.ndarray, k: int) -> np.ndarray:
    """Indices of each row's ``k`` most cosine-similar other rows, most similar first: int [n, k]."""
    n = len(matrix)
    k = min(k, n - 1)
    unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    out = np.empty((n, max(k, 0)), dtype=np.int64)
    if k <= 0:
        return out
    for start in range(0, n, _ROWS):
        sims = unit[start : start + _ROWS] @ unit.T
        rows = np.arange(len(sims))
        sims[rows, rows + start] = -np.inf  # a word is not its own synonym
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1, kind="stable")
        out[start : start + len(sims)] = np.take_along_axis(top, order, axis=1)
    return out


def synonym_table(path, counts: Counter, max_words: int, k: int) -> dict[str, tuple[str, ...]]:
    """``word -> its k nearest neighbours`` for the ``max_words`` most frequent counted words in the file."""
    # Ties broken alphabetically so the same corpus picks the same words on every run.
    words = sorted(counts, key=lambda w: (-counts[w], w))[:max_words]
    vectors = load_vectors(path, words)
    usable = vectors.found & (np.linalg.norm(vectors.matrix, axis=1) > 0)
    kept = [w for w, ok in zip(words, usable) if ok]
    if len(kept) < 2:
        raise DataError(f"only {len(kept)} of the {len(words)} most frequent training words have vectors here; "
                        "synonyms need a vectors file in the training data's language and tokenization", path=path)
    neighbours = nearest_neighbours(vectors.matrix[usable], k)
    log.info("synonyms: %d of the %d most frequent training words found in %s (%d neighbours each)",
             len(kept), len(words), path, neighbours.shape[1])
    return {word: tuple(kept[j] for j in row) for word, row in zip(kept, neighbours)}
