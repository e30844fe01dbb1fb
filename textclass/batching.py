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

from .collation import bag_offsets, bucketed_batches, pad_ids
from .text.ragged import RaggedIds

__all__ = ["Batch", "EncodedSplit", "bucketed_batches", "collate", "iterate_batches"]


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


def collate(split: EncodedSplit, indices: np.ndarray, input_format: str, pad_id: int = 0,
            width_multiple: int = 1) -> Batch:
    flat, lengths = split.ids.gather(indices)
    labels = None if split.labels is None else torch.from_numpy(split.labels[indices])
    lengths_t = torch.from_numpy(lengths)
    if input_format == "bag":
        return Batch(torch.from_numpy(flat), lengths_t, labels, torch.from_numpy(bag_offsets(lengths)))
    if input_format != "padded":
        raise ValueError(f"unknown input format {input_format!r}")
    padded = pad_ids(flat, lengths, pad_id, width_multiple)
    return Batch(torch.from_numpy(padded), lengths_t, labels)


def iterate_batches(split: EncodedSplit, batch_size: int, input_format: str, *, pad_id: int = 0,
                    rng: np.random.Generator | None = None, bucket_factor: int = 50, width_multiple: int = 1
                    ) -> Iterator[tuple[np.ndarray, Batch]]:
    """Yields (indices into the split, batch); indices let callers put predictions back in input order.

    ``bucket_factor=1`` sorts only within one batch, which changes nothing: plain shuffled batches.
    """
    for indices in bucketed_batches(split.ids.lengths, batch_size, rng, bucket_factor):
        yield indices, collate(split, indices, input_format, pad_id, width_multiple)
