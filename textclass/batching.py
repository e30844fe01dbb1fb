"""Encoded splits, length-bucketed batch order, and collation into the tensors a model declares it reads.

Two input formats cover the models: ``padded`` (ids [B, T] + lengths, for recurrent, convolutional and
transformer models) and ``bag`` (flat ids + offsets, for ``nn.EmbeddingBag``). Collation is vectorized
NumPy over a flat id array, so building a batch costs no per-token Python work.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Iterator

import numpy as np
import torch

from .text.ragged import RaggedIds


@dataclass
class Batch:
    ids: torch.Tensor
    lengths: torch.Tensor  # stays on the CPU: pack_padded_sequence requires it there
    labels: torch.Tensor | None = None
    offsets: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.lengths)

    def to(self, device) -> "Batch":
        moved = {}
        for f in fields(self):
            value = getattr(self, f.name)
            keep_on_cpu = f.name == "lengths"
            moved[f.name] = value if value is None or keep_on_cpu else value.to(device, non_blocking=True)
        return Batch(**moved)


@dataclass
class EncodedSplit:
    """One split after encoding: ids per text and, when labeled, the class index per text."""

    ids: RaggedIds
    labels: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)


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


def collate(split: EncodedSplit, indices: np.ndarray, input_format: str, pad_id: int = 0) -> Batch:
    flat, lengths = split.ids.gather(indices)
    labels = None if split.labels is None else torch.from_numpy(split.labels[indices])
    lengths_t = torch.from_numpy(lengths)
    if input_format == "bag":
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        return Batch(torch.from_numpy(flat), lengths_t, labels, torch.from_numpy(offsets))
    if input_format != "padded":
        raise ValueError(f"unknown input format {input_format!r}")
    width = int(lengths.max()) if len(lengths) else 0
    padded = np.full((len(indices), width), pad_id, dtype=np.int64)
    rows = np.repeat(np.arange(len(indices)), lengths)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    cols = np.arange(len(flat)) - np.repeat(starts, lengths)
    padded[rows, cols] = flat
    return Batch(torch.from_numpy(padded), lengths_t, labels)


def iterate_batches(split: EncodedSplit, batch_size: int, input_format: str, *, pad_id: int = 0,
                    rng: np.random.Generator | None = None, bucket_factor: int = 50
                    ) -> Iterator[tuple[np.ndarray, Batch]]:
    """Yields (indices into the split, batch); indices let callers put predictions back in input order.

    ``bucket_factor=1`` sorts only within one batch, which changes nothing: plain shuffled batches.
    """
    for indices in bucketed_batches(split.ids.lengths, batch_size, rng, bucket_factor):
        yield indices, collate(split, indices, input_format, pad_id)
