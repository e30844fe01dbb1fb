"""TextStream and StreamScan: chunked reading with read_file's rules, and the one pass that keeps only labels and
lengths."""
from __future__ import annotations

import numpy as np
import pytest

from textclass.data import read_file
from textclass.data.files import read_chunks
from textclass.data.stream import StreamScan, TextStream
from textclass.errors import DataError


def test_chunks_hold_every_row_once_in_order(tmp_path, topics, writers):
    train, _ = topics
    path = writers.csv(tmp_path / "t.csv", ["text", "label"], zip(train.texts, train.labels))
    chunks = list(TextStream(path, chunk_size=70).chunks())
    assert [len(c) for c in chunks] == [70, 70, 70, 30]
    assert sum((c.texts for c in chunks), []) == train.texts
    assert sum((c.labels for c in chunks), []) == train.labels


def test_a_bad_row_in_a_later_chunk_names_its_row(tmp_path, writers):
    rows = [(f"text {i}", "a" if i % 2 else "b") for i in range(10)] + [("", "a")]
    path = writers.csv(tmp_path / "t.csv", ["text", "label"], rows)
    with pytest.raises(DataError, match="row 12") as caught:
        list(read_chunks(path, 4))
    assert "empty text" in str(caught.value) and "t.csv" in str(caught.value)


def test_an_empty_file_is_an_error_but_a_chunk_of_skipped_rows_is_not(tmp_path, writers):
    with pytest.raises(DataError, match="no rows"):
        list(read_chunks(writers.csv(tmp_path / "e.csv", ["text", "label"], []), 5))
    rows = [("a b", "x"), ("c d", "y")] + [("  ", "x")] * 3
    chunks = list(read_chunks(writers.csv(tmp_path / "s.csv", ["text", "label"], rows), 2, skip_empty=True))
    assert [len(c) for c in chunks] == [2, 0, 0]
    assert sum(c.notes["skipped_empty"] for c in chunks) == 3


def test_scan_keeps_sorted_label_codes_and_lengths(tmp_path, writers):
    rows = [("zz top", "zebra"), ("a", "ant"), ("hello", "zebra"), ("bee sting", "bee")]
    scan = StreamScan.of(TextStream(writers.csv(tmp_path / "t.csv", ["text", "label"], rows), chunk_size=3))
    assert scan.label_names == ["ant", "bee", "zebra"]
    assert scan.codes.tolist() == [2, 0, 2, 1]
    assert scan.lengths.tolist() == [6, 1, 5, 9]
    assert not scan.multi_label
    assert scan.labels_of(np.array([3, 0])) == ["bee", "zebra"]


def test_scan_turns_earlier_single_labels_into_sets_when_a_set_appears(tmp_path, writers):
    records = [{"text": "one", "labels": "b"}, {"text": "two", "labels": "a"}, {"text": "three", "labels": ["a", "c"]}]
    scan = StreamScan.of(TextStream(writers.jsonl(tmp_path / "m.jsonl", records), chunk_size=2))
    assert scan.multi_label and scan.label_names == ["a", "b", "c"]
    assert scan.label_sets == [(1,), (0,), (0, 2)]
    assert scan.labels_of(np.array([2])) == [("a", "c")]


def test_scan_matches_read_file(tmp_path, topics, writers):
    train, _ = topics
    path = writers.csv(tmp_path / "t.csv", ["text", "label"], zip(train.texts, train.labels))
    scan = StreamScan.of(TextStream(path, chunk_size=50))
    whole = read_file(path)
    assert scan.labels_of(np.arange(scan.rows)) == whole.labels
    assert scan.lengths.tolist() == [len(t) for t in whole.texts]
