"""Seeded, label-stratified splitting and subsampling.

Randomness comes only from ``random.Random(seed)``, never from ``hash()`` (salted per process) or from set
and dict iteration over unsorted labels, so the same seed picks the same rows on every machine. Chosen rows
keep their original relative order.

Multi-label data cannot be grouped by label (a text has several), so it is split by iterative
stratification (Sechidis, Tsoumakas and Vlahavas, 2011): labels are taken rarest first, and each text of the
label goes to the part that still wants most of that label, so every label keeps about its share on both
sides. Then every label is made to have a text in the larger part (``rest``, the training side), swapping in a text whose labels that part keeps anyway, so a model never has to predict a
label it could not learn. A label may still be absent from the held-out part; threshold tuning copes.
"""
from __future__ import annotations

import math
import random
from typing import Sequence

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
    heldout = stratified_heldout(ds.labels, ds.label_sets, len(ds), fraction, seed)
    rest = sorted(set(range(len(ds))) - set(heldout))
    return (ds.subset(rest, f"{ds.origin} (without held-out {fraction:g})"),
            ds.subset(heldout, f"{ds.origin} (held-out {fraction:g})"))


def stratified_heldout(labels: Sequence[str] | None, label_sets: Sequence[tuple[str, ...]] | None, n: int,
                       fraction: float, seed: int) -> list[int]:
    """The sorted row indices ``stratified_split`` holds out, from the labels alone (texts not needed)."""
    if label_sets is not None:
        return _iterative_stratification(label_sets, math.floor(fraction * n + 0.5), seed)
    groups = _groups(labels, n)
    sizes = [len(group) for group in groups]
    quotas = _allocate(sizes, math.floor(fraction * n + 0.5))
    quotas = [min(max(quota, 1), size - 1) if size >= 2 else 0 for quota, size in zip(quotas, sizes)]
    return _sample(groups, quotas, seed)


def stratified_subsample(ds: TextDataset, n: int, seed: int) -> TextDataset:
    """``n`` rows of ``ds`` with label proportions kept (largest remainders get the rounding); ``ds`` if n >= len."""
    if n < 1:
        raise ConfigError(f"a subsample needs at least one row, got n={n}")
    if n >= len(ds):
        return ds
    if ds.label_sets is not None:
        return ds.subset(_iterative_stratification(ds.label_sets, n, seed, keep_labels_in_rest=False),
                         f"{ds.origin} ({n} sampled)")
    groups = _groups(ds.labels, len(ds))
    chosen = _sample(groups, _allocate([len(group) for group in groups], n), seed)
    return ds.subset(chosen, f"{ds.origin} ({n} sampled)")


def _groups(labels: Sequence[str] | None, n: int) -> list[list[int]]:
    """Row indices per label, labels in sorted order; one group holding every row if unlabeled."""
    if labels is None:
        return [list(range(n))]
    by_label: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
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


def _iterative_stratification(label_sets: list[tuple[str, ...]], n_heldout: int, seed: int,
                              keep_labels_in_rest: bool = True) -> list[int]:
    """Sorted indices of exactly ``n_heldout`` rows whose label shares follow the whole data's (see the module
    notes); with ``keep_labels_in_rest``, every label also keeps a row outside them."""
    rng = random.Random(seed)
    n = len(label_sets)
    names = sorted({label for labels in label_sets for label in labels})
    column = {name: i for i, name in enumerate(names)}
    rows_of: list[list[int]] = [[] for _ in names]
    for row, labels in enumerate(label_sets):
        for label in labels:
            rows_of[column[label]].append(row)
    for rows in rows_of:
        rng.shuffle(rows)
    REST, HELDOUT = 0, 1
    capacity = [n - n_heldout, n_heldout]
    wanted = [[len(rows) * capacity[part] / n for rows in rows_of] for part in (REST, HELDOUT)]
    unplaced = [len(rows) for rows in rows_of]
    part_of = [-1] * n
    while True:
        open_labels = [(count, rng.random(), label) for label, count in enumerate(unplaced) if count > 0]
        if not open_labels:
            break
        _, _, label = min(open_labels)  # the rarest label still to place; ties at random
        for row in rows_of[label]:
            if part_of[row] != -1:
                continue
            # Never past a part's size, so both parts come out exactly as large as asked.
            part = max((p for p in (REST, HELDOUT) if capacity[p] > 0),
                       key=lambda p: (wanted[p][label], capacity[p], p == REST))
            part_of[row] = part
            capacity[part] -= 1
            for other in label_sets[row]:
                wanted[part][column[other]] -= 1
                unplaced[column[other]] -= 1
    unlabeled = [row for row in range(n) if part_of[row] == -1]
    rng.shuffle(unlabeled)
    for row in unlabeled:
        part_of[row] = HELDOUT if capacity[HELDOUT] > 0 else REST
        capacity[part_of[row]] -= 1
    if keep_labels_in_rest:
        _keep_every_label_in_rest(label_sets, part_of, rows_of, column)
    return [row for row in range(n) if part_of[row] == 1]


def _keep_every_label_in_rest(label_sets, part_of: list[int], rows_of: list[list[int]], column: dict) -> None:
    """Swap rows so that every label has one in part 0; sizes stay as they are."""
    in_rest = [sum(part_of[row] == 0 for row in rows) for rows in rows_of]
    for label, rows in enumerate(rows_of):
        if in_rest[label]:
            continue
        incoming = rows[0]  # rows_of lists are already shuffled with the seed
        # A row part 0 can give up without losing a label: each of its labels has another row there.
        outgoing = next((row for row in range(len(part_of)) if part_of[row] == 0
                         and all(in_rest[column[other]] > 1 for other in label_sets[row])), None)
        if outgoing is None:
            continue  # every row of part 0 holds the last copy of some label: nothing can move
        part_of[incoming], part_of[outgoing] = 0, 1
        for other in label_sets[incoming]:
            in_rest[column[other]] += 1
        for other in label_sets[outgoing]:
            in_rest[column[other]] -= 1
