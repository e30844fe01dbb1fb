"""Batch order and batch arrays in NumPy only: shared by training (``batching.py``, which wraps them in
tensors) and by the torch-free ONNX runtime (``textclass.runtime``), so both feed a model the same arrays."""
from __future__ import annotations

import numpy as np

# Texts per forward pass at prediction (torch and ONNX alike): no gradients are kept, so batches can be larger
# than in training.
PREDICT_BATCH_SIZE = 256


def bucketed_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator | None,
                     bucket_factor: int = 50) -> list[np.ndarray]:
    """Batches of indices whose texts have similar lengths, so little padding is computed.

    With ``rng``: shuffle, sort by length inside windows of ``bucket_factor`` batches, cut into batches,
    shuffle the batch order: each epoch sees new batches while lengths within a batch stay close.
    Without it (evaluation): sort everything by length, longest first, for the least padding.
    """
    n = len(lengths)
    if rng is None:
        order = np.argsort(-lengths, kind="stable")
        return [order[i : i + batch_size] for i in range(0, n, batch_size)]
    order = rng.permutation(n)
    window = batch_size * bucket_factor
    for start in range(0, n, window):
        chunk = order[start : start + window]
        order[start : start + window] = chunk[np.argsort(lengths[chunk], kind="stable")]
    batches = [order[i : i + batch_size] for i in range(0, n, batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def bag_offsets(lengths: np.ndarray) -> np.ndarray:
    """Where each text's ids start in the flat array (``nn.EmbeddingBag``'s offsets)."""
    return np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)


def pad_ids(flat: np.ndarray, lengths: np.ndarray, pad_id: int, width_multiple: int = 1) -> np.ndarray:
    """[n_texts, longest] int64 ids, each text left-aligned and right-padded with ``pad_id``; the width rounded up
    to a multiple of ``width_multiple``."""
    width = int(lengths.max()) if len(lengths) else 0
    width = -(-width // width_multiple) * width_multiple
    padded = np.full((len(lengths), width), pad_id, dtype=np.int64)
    rows = np.repeat(np.arange(len(lengths)), lengths)
    cols = np.arange(len(flat)) - np.repeat(bag_offsets(lengths), lengths)
    padded[rows, cols] = flat
    return padded


def capped_batches(lengths: np.ndarray, max_texts: int, max_positions: int | None) -> list[np.ndarray]:
    """Longest-first batches of at most ``max_texts`` texts and at most ``max_positions`` padded positions
    (texts x longest length) each, however long the texts; always at least one text per batch."""
    order = np.argsort(-lengths, kind="stable")
    if max_positions is None:
        return [order[i : i + max_texts] for i in range(0, len(order), max_texts)]
    batches, start = [], 0
    while start < len(order):
        width = max(int(lengths[order[start]]), 1)  # the batch's first text is its longest
        size = min(max_texts, max(1, max_positions // width))
        batches.append(order[start : start + size])
        start += size
    return batches
