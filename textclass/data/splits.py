"""Seeded, label-stratified splitting and subsampling.

Randomness comes only from ``random.Random(seed)``, never from ``hash()`` (salted per process) or from set
and dict iteration over unsorted labels, so the same seed picks the same rows on every machine. Chosen rows
keep their original relative order.
"""
from __future__ import annotations

import math
import random

from textclass.data.dataset import TextDataset
from textclass.errors import ConfigError


def stratified_split(ds: TextDataset, fraction: float, seed: int) -> tuple[TextDataset, TextDataset]:
    """Split off about ``fraction`` of ``ds`` as ``(rest, heldout)``, each label keeping its share.

    Every label with at least two examples gets at least one on each side, even where its share of the
    held-out part rounds to zero; a label seen once stays in ``rest``. Unlabeled data is split at random.
    """
    if not 0 < fraction < 1:
        raise ConfigError(f"the held-out fraction must be between 0 and 1, got {fraction}")
    if len(ds) < 2:
        raise ConfigError(f"{ds.origin}: cannot split {len(ds)} row(s)")
    groups = _groups(ds)
    sizes = [len(group) for group in groups]
    quotas = _allocate(sizes, math.floor(fraction * len(ds) + 0.5))
    quotas = [min(max(quota, 1), size - 1) if size >= 2 else 0 for quota, size in zip(quotas, sizes)]
    heldout = _sample(groups, quotas, seed)
    rest = sorted(set(range(len(ds))) - set(heldout))
    return (ds.subset(rest, f"{ds.origin} (without held-out {fraction:g})"),
            ds.subset(heldout, f"{ds.origin} (held-out {fraction:g})"))


def stratified_subsample(ds: TextDataset, n: int, seed: int) -> TextDataset:
    """``n`` rows of ``ds`` with label proportions kept (largest remainders get the rounding); ``ds`` if n >= len."""
    if n < 1:
        raise ConfigError(f"a subsample needs at least one row, got n={n}")
    if n >= len(ds):
        return ds
    groups = _groups(ds)
    chosen = _sample(groups, _allocate([len(group) for group in groups], n), seed)
    return ds.subset(chosen, f"{ds.origin} ({n} sampled)")


def _groups(ds: TextDataset) -> list[list[int]]:
    """Row indices per label, labels in sorted order; one group holding every row if unlabeled."""
    if ds.labels is None:
        return [list(range(len(ds)))]
    by_label: dict[str, list[int]] = {}
    for index, label in enumerate(ds.labels):
        by_label.setdefault(label, []).append(index)
    return [by_label[label] for label in sorted(by_label)]


def _allocate(sizes: list[int], total: int) -> list[int]:
    """Split ``total`` in proportion to ``sizes``: floors first, then one more to the largest remainders.

    Integer arithmetic keeps ties exact, and ties go to the earlier group, so the result never depends on
    floating-point noise.
    """
    whole = sum(sizes)
    quotas = [size * total // whole for size in sizes]
    by_remainder = sorted(range(len(sizes)), key=lambda i: -(sizes[i] * total % whole))
    for i in by_remainder[: total - sum(quotas)]:
        quotas[i] += 1
    return quotas


def _sample(groups: list[list[int]], quotas: list[int], seed: int) -> list[int]:
    rng = random.Random(seed)
    chosen = []
    for group, quota in zip(groups, quotas):
        chosen.extend(rng.sample(group, quota))
    return sorted(chosen)
