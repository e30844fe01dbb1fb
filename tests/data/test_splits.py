import os
import subprocess
import sys
from collections import Counter

import pytest

from textclass.data import TextDataset, stratified_split, stratified_subsample
from textclass.errors import ConfigError


def dataset(counts):
    """Each class spread evenly over the rows, as in real data; texts record their position."""
    labels = [label for _, label in sorted((i / count, label) for label, count in counts.items() for i in range(count))]
    return TextDataset([f"row{i}" for i in range(len(labels))], labels, "mem")


def positions(ds):
    return [int(text[3:]) for text in ds.texts]


def test_split_keeps_each_class_share():
    ds = dataset({"a": 80, "b": 20})
    rest, heldout = stratified_split(ds, 0.25, seed=0)
    assert heldout.label_counts() == Counter({"a": 20, "b": 5})
    assert rest.label_counts() == Counter({"a": 60, "b": 15})


def test_split_is_disjoint_covers_everything_and_keeps_order():
    ds = dataset({"a": 30, "b": 11, "c": 7})
    rest, heldout = stratified_split(ds, 0.2, seed=3)
    assert set(positions(rest)).isdisjoint(positions(heldout))
    assert sorted(positions(rest) + positions(heldout)) == list(range(len(ds)))
    assert positions(rest) == sorted(positions(rest)) and positions(heldout) == sorted(positions(heldout))
    for part in (rest, heldout):
        assert all(ds.labels[p] == label for p, label in zip(positions(part), part.labels))


def test_small_classes_get_a_row_on_each_side_and_singletons_stay_in_rest():
    ds = dataset({"big": 100, "pair": 2, "trio": 3, "one": 1})
    rest, heldout = stratified_split(ds, 0.1, seed=1)
    assert heldout.label_counts()["pair"] == 1 and rest.label_counts()["pair"] == 1
    assert heldout.label_counts()["trio"] == 1 and rest.label_counts()["trio"] == 2
    assert heldout.label_counts()["one"] == 0 and rest.label_counts()["one"] == 1


def test_split_is_seeded():
    ds = dataset({"a": 50, "b": 50})
    first = stratified_split(ds, 0.3, seed=7)[1]
    assert positions(stratified_split(ds, 0.3, seed=7)[1]) == positions(first)
    assert positions(stratified_split(ds, 0.3, seed=8)[1]) != positions(first)


def test_split_of_unlabeled_rows():
    ds = TextDataset([f"row{i}" for i in range(10)], None)
    rest, heldout = stratified_split(ds, 0.3, seed=0)
    assert (len(rest), len(heldout)) == (7, 3) and heldout.labels is None


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5])
def test_split_rejects_fractions_outside_0_1(fraction):
    with pytest.raises(ConfigError):
        stratified_split(dataset({"a": 10}), fraction, seed=0)


def test_subsample_allocates_by_largest_remainder():
    ds = dataset({"a": 5, "b": 3, "c": 2})
    sample = stratified_subsample(ds, 5, seed=0)
    # Quotas 2.5, 1.5, 1.0: floors give 4 rows, the tie for the last goes to the first label.
    assert sample.label_counts() == Counter({"a": 3, "b": 1, "c": 1})
    assert positions(sample) == sorted(positions(sample))


def test_subsample_proportions_on_a_larger_set():
    sample = stratified_subsample(dataset({"a": 700, "b": 200, "c": 100}), 100, seed=5)
    assert sample.label_counts() == Counter({"a": 70, "b": 20, "c": 10})


def test_subsample_limit_at_or_above_size_returns_the_dataset():
    ds = dataset({"a": 3, "b": 2})
    assert stratified_subsample(ds, 5, seed=0) is ds
    assert stratified_subsample(ds, 50, seed=0) is ds
    with pytest.raises(ConfigError):
        stratified_subsample(ds, 0, seed=0)


def test_subsample_unlabeled_is_seeded():
    ds = TextDataset([f"row{i}" for i in range(100)], None)
    sample = stratified_subsample(ds, 10, seed=4)
    assert len(sample) == 10 and sample.labels is None
    assert positions(stratified_subsample(ds, 10, seed=4)) == positions(sample)


def test_same_seed_same_rows_in_another_process():
    program = (
        "from textclass.data import TextDataset, stratified_split, stratified_subsample\n"
        "labels = [chr(97 + i % 5) * (1 + i % 3) for i in range(200)]\n"
        "ds = TextDataset([f'row{i}' for i in range(200)], labels)\n"
        "print(stratified_split(ds, 0.2, seed=11)[1].texts, stratified_subsample(ds, 30, seed=11).texts)\n"
    )
    outputs = {
        subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True,
                       env={"PYTHONHASHSEED": hash_seed, "PYTHONPATH": os.pathsep.join(filter(None, sys.path))}).stdout
        for hash_seed in ("1", "2")
    }
    assert len(outputs) == 1
