"""Iterative stratification of multi-label data: exact sizes, shares kept, every label left in training."""
import random
from collections import Counter

import pytest

from textclass.data import TextDataset, stratified_split, stratified_subsample


def multilabel_data(n=600, seed=0):
    rng = random.Random(seed)
    names = [f"l{i}" for i in range(8)]
    sets = []
    for _ in range(n):
        # Label i occurs with probability 0.5 / (i + 1): common and rare labels side by side.
        sets.append([name for i, name in enumerate(names) if rng.random() < 0.5 / (i + 1)])
    return TextDataset([f"text {i}" for i in range(n)], label_sets=sets)


def test_split_sizes_and_label_shares():
    ds = multilabel_data()
    rest, heldout = stratified_split(ds, 0.2, seed=1)
    assert (len(rest), len(heldout)) == (480, 120)
    assert sorted(rest.texts + heldout.texts, key=lambda t: int(t.split()[1])) == ds.texts
    whole, held = ds.label_counts(), heldout.label_counts()
    for label, count in whole.items():
        assert abs(held[label] - 0.2 * count) <= 1.5, (label, held[label], count)


def test_split_is_seeded():
    ds = multilabel_data()
    assert stratified_split(ds, 0.2, 3)[1].texts == stratified_split(ds, 0.2, 3)[1].texts
    assert stratified_split(ds, 0.2, 3)[1].texts != stratified_split(ds, 0.2, 4)[1].texts


@pytest.mark.parametrize("seed", range(5))
def test_every_label_keeps_a_text_in_training(seed):
    # Labels seen once or twice would often all land on the held-out side without the repair step.
    sets = [["common"]] * 20 + [["common", "rare"], ["rare"], ["once"], ["pair"], ["pair"], []]
    ds = TextDataset([f"t{i}" for i in range(len(sets))], label_sets=sets)
    rest, _ = stratified_split(ds, 0.5, seed)
    assert set(rest.label_names()) == {"common", "rare", "once", "pair"}
    assert len(rest) == 13


def test_subsample_keeps_shares_and_size():
    ds = multilabel_data()
    sample = stratified_subsample(ds, 150, seed=0)
    assert len(sample) == 150 and sample.is_multi_label
    whole, part = ds.label_counts(), sample.label_counts()
    for label in ("l0", "l1", "l2"):
        assert abs(part[label] - whole[label] / 4) <= 2


def test_single_label_splits_are_unchanged_by_the_multi_label_path():
    ds = TextDataset([str(i) for i in range(10)], ["a"] * 5 + ["b"] * 5)
    rest, heldout = stratified_split(ds, 0.2, 0)
    assert Counter(heldout.labels) == {"a": 1, "b": 1} and rest.label_sets is None
