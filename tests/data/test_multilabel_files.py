"""Reading multi-label data: label lists in JSON Lines, separated cells in CSV/TSV, several __label__ prefixes."""
import json

import pytest

from textclass.data import TextDataset, read_file
from textclass.errors import ConfigError, DataError


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def jsonl(tmp_path, records, name="a.jsonl"):
    return write(tmp_path, name, "".join(json.dumps(r) + "\n" for r in records))


def test_jsonl_label_lists_goemotions_style(tmp_path):
    path = jsonl(tmp_path, [{"text": "thanks!", "labels": ["gratitude", "admiration"]},
                            {"text": "ok", "labels": ["neutral"]}, {"text": "hm", "labels": []}])
    ds = read_file(path)
    assert ds.is_multi_label and ds.labels is None
    assert ds.label_sets == [("admiration", "gratitude"), ("neutral",), ()]
    assert ds.label_names() == ["admiration", "gratitude", "neutral"]


def test_jsonl_single_strings_beside_lists_become_one_label_sets(tmp_path):
    ds = read_file(jsonl(tmp_path, [{"text": "a", "label": "x"}, {"text": "b", "label": ["x", "y", "x"]}]))
    assert ds.label_sets == [("x",), ("x", "y")]


def test_jsonl_without_lists_stays_single_label_unless_asked(tmp_path):
    path = jsonl(tmp_path, [{"text": "a", "label": "x"}, {"text": "b", "label": "y"}])
    assert read_file(path).labels == ["x", "y"]
    assert read_file(path, multi_label=True).label_sets == [("x",), ("y",)]


@pytest.mark.parametrize("labels, message", [([1, None], "item 2 is null"), (["a", ""], "item 2 is empty"),
                                             ([["a"]], "item 1 is list"), ({"a": 1}, "is an object")])
def test_jsonl_bad_label_lists_name_row_and_field(tmp_path, labels, message):
    path = jsonl(tmp_path, [{"text": "fine", "labels": ["a"]}, {"text": "bad", "labels": labels}])
    with pytest.raises(DataError, match=message) as caught:
        read_file(path)
    assert (caught.value.path, caught.value.row, caught.value.field) == (path, 2, "labels")


def test_jsonl_null_label_is_a_missing_label(tmp_path):
    path = jsonl(tmp_path, [{"text": "a", "labels": ["x"]}, {"text": "b", "labels": None}])
    with pytest.raises(DataError, match="missing label") as caught:
        read_file(path)
    assert caught.value.row == 2


def test_csv_with_label_separator(tmp_path):
    path = write(tmp_path, "a.csv", 'text,tags\n"pay, now",billing|urgent\nhello,billing\n" x ", urgent | billing \n')
    ds = read_file(path, label_column="tags", label_separator="|")
    assert ds.texts == ["pay, now", "hello", " x "]
    assert ds.label_sets == [("billing", "urgent"), ("billing",), ("billing", "urgent")]


def test_tsv_with_label_separator(tmp_path):
    ds = read_file(write(tmp_path, "a.tsv", "text\tlabel\nhi there\ta;b\n"), label_separator=";")
    assert ds.label_sets == [("a", "b")]


def test_csv_separator_errors_name_the_cell(tmp_path):
    path = write(tmp_path, "a.csv", "text,label\nfine,a|b\nbad,a||b\n")
    with pytest.raises(DataError, match="item 2 is empty") as caught:
        read_file(path, label_separator="|")
    assert (caught.value.row, caught.value.field) == (3, "label")
    with pytest.raises(DataError, match="missing label") as caught:
        read_file(write(tmp_path, "b.csv", "text,label\nfine,a|b\nbad,\n"), label_separator="|")
    assert caught.value.row == 3


def test_label_separator_must_be_visible_and_means_multi_label(tmp_path):
    path = write(tmp_path, "a.csv", "text,label\nfine,a\n")
    with pytest.raises(ConfigError, match="label_separator"):
        read_file(path, label_separator=" ")
    with pytest.raises(ConfigError, match="multi_label"):
        read_file(path, label_separator="|", multi_label=False)


def test_fasttext_several_labels(tmp_path):
    ds = read_file(write(tmp_path, "a.txt", "__label__a __label__b both here\n__label__b just b\n"))
    assert ds.texts == ["both here", "just b"]
    assert ds.label_sets == [("a", "b"), ("b",)]


def test_dataset_kinds_and_subset():
    ds = TextDataset.from_pairs([("a", ["x", "y"]), ("b", "y"), ("c", [])])
    assert ds.label_sets == [("x", "y"), ("y",), ()]
    assert ds.label_counts() == {"x": 1, "y": 2}
    assert ds.subset([2, 0]).label_sets == [(), ("x", "y")]
    assert TextDataset(["a"], ["x"]).as_multi_label().label_sets == [("x",)]
    with pytest.raises(ValueError, match="not both"):
        TextDataset(["a"], ["x"], label_sets=[("x",)])
