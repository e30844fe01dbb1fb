"""Streamed prediction (textclass.inference): formats in and out, pass-through, fields, errors, atomic output."""
import copy
import csv
import io
import json
import math

import numpy as np
import pytest

from textclass import ConfigError, DataError
from textclass.inference import RowSpec, predict_file, predict_rows

TEXTS = ["the recipe: bake the sauce", "loan from the bank", "the coach and the match", "  ", "flour, oven; \"simmer\""]


@pytest.fixture(scope="module")
def clf(fitted):
    return fitted


@pytest.fixture(scope="module")
def remembering(fitted):
    """The fitted classifier, as if trained with text_column="body" (a copy: the shared one stays as it is)."""
    clone = copy.copy(fitted)
    clone.data_columns = {"text_column": "body", "label_column": "queue"}
    return clone


def expected_labels(clf, texts):
    return [clf.labels_[i] for i in clf.predict_proba(texts).argmax(1)]


def write_input(path, fmt, texts):
    if fmt == "lines":
        path.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)), encoding="utf-8")
    else:
        with open(path, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, delimiter="," if fmt == "csv" else "\t")
            writer.writerow(["id", "text"])
            writer.writerows(enumerate(texts))
    return path


def read_output(path, fmt):
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="," if fmt == "csv" else "\t"))


SUFFIX = {"csv": ".csv", "tsv": ".tsv", "jsonl": ".jsonl", "lines": ".txt"}


@pytest.mark.parametrize("fmt_in", ["csv", "tsv", "jsonl", "lines"])
@pytest.mark.parametrize("fmt_out", ["csv", "tsv", "jsonl"])
def test_every_format_in_and_out(clf, tmp_path, fmt_in, fmt_out):
    texts = [t for t in TEXTS if t.strip()] if fmt_in == "lines" else TEXTS  # a blank line stays a row, tested below
    source = write_input(tmp_path / f"in{SUFFIX[fmt_in]}", fmt_in, texts)
    out = tmp_path / f"out{SUFFIX[fmt_out]}"
    summary = predict_file(clf, source, out, chunk_rows=2)  # several chunks
    rows = read_output(out, fmt_out)
    assert summary.rows == len(rows) == len(texts)
    assert [row["text"] for row in rows] == texts
    assert [row["label"] for row in rows] == expected_labels(clf, texts)
    if fmt_in != "lines":
        assert [str(row["id"]) for row in rows] == [str(i) for i in range(len(texts))]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([source.name, out.name])


def test_formats_can_be_named_instead_of_inferred(clf, tmp_path):
    source = write_input(tmp_path / "in.data", "tsv", TEXTS)
    out = tmp_path / "out.data"
    predict_file(clf, source, out, input_format="tsv", output_format="jsonl")
    assert [row["label"] for row in read_output(out, "jsonl")] == expected_labels(clf, TEXTS)
    with pytest.raises(ConfigError, match="suffix"):
        predict_file(clf, source, tmp_path / "other.data")


def test_every_input_column_passes_through_unchanged(clf, tmp_path, writers):
    rows_in = [("7", "goal for the team", " spaced  ", "a,b\nc \"quoted\""), ("x", "", "é ü 中文", "")]
    source = writers.csv(tmp_path / "in.csv", ["key", "text", "note", "multi"], rows_in)
    out = tmp_path / "out.csv"
    predict_file(clf, source, out)
    with open(out, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    assert header == ["key", "text", "note", "multi", "label", "confidence", "empty"]
    assert [tuple(row[:4]) for row in rows] == rows_in
    assert [row[6] for row in rows] == ["false", "true"]


def test_json_values_pass_through_with_their_types(clf, tmp_path, writers):
    records = [{"text": "bake", "n": 1, "tags": ["a", "b"], "meta": {"k": None}, "ok": True},
               {"text": "loan", "n": 2.5, "tags": [], "meta": {}, "ok": False}]
    out = tmp_path / "out.jsonl"
    predict_file(clf, writers.jsonl(tmp_path / "in.jsonl", records), out)
    rows = read_output(out, "jsonl")
    for record, row in zip(records, rows):
        assert {k: row[k] for k in record} == record
        assert list(row)[: len(record)] == list(record)
    # To CSV, nested values become their JSON text.
    predict_file(clf, tmp_path / "in.jsonl", tmp_path / "out.csv")
    first = read_output(tmp_path / "out.csv", "csv")[0]
    assert first["tags"] == '["a", "b"]' and first["n"] == "1" and first["ok"] == "true"


def test_tabular_output_of_json_rows_with_other_keys_is_refused(clf, tmp_path, writers):
    source = writers.jsonl(tmp_path / "in.jsonl", [{"text": "bake"}, {"text": "loan", "extra": 1}])
    with pytest.raises(DataError, match=r"in.jsonl, row 2: .*extra 'extra'"):
        predict_file(clf, source, tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()
    predict_file(clf, source, tmp_path / "out.jsonl")  # JSON Lines takes them as they are
    assert read_output(tmp_path / "out.jsonl", "jsonl")[1]["extra"] == 1


def test_top_k_and_probabilities(clf, tmp_path):
    source = write_input(tmp_path / "in.csv", "csv", TEXTS)
    out = tmp_path / "out.jsonl"
    predict_file(clf, source, out, top_k=2, probabilities=True, digits=None)
    proba = clf.predict_proba(TEXTS)
    rows = read_output(out, "jsonl")
    assert list(rows[0])[2:] == ["label", "confidence", "empty", "top1_label", "top1_probability", "top2_label",
                                 "top2_probability", *[f"p_{label}" for label in clf.labels_]]
    for row, p in zip(rows, proba):
        order = np.argsort(-p)
        assert [row["top1_label"], row["top2_label"]] == [clf.labels_[order[0]], clf.labels_[order[1]]]
        assert row["top1_probability"] == row["confidence"] >= row["top2_probability"]
        np.testing.assert_allclose([row[f"p_{label}"] for label in clf.labels_], p, rtol=1e-6)
    with pytest.raises(ConfigError, match="top_k"):
        predict_file(clf, source, tmp_path / "out2.jsonl", top_k=len(clf.labels_) + 1)


def test_empty_and_whitespace_texts_are_flagged(clf):
    rows = predict_rows(clf, ["", " \t\n", "bake the bread", "\u00a0"])
    assert [row["empty"] for row in rows] == [True, True, False, True]
    assert all(row["label"] in clf.labels_ for row in rows)  # still answered, but marked


def test_blank_lines_of_plain_text_stay_rows_and_are_flagged(clf, tmp_path, caplog):
    source = tmp_path / "in.txt"
    source.write_text("bake the bread\n\n   \nloan\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    with caplog.at_level("WARNING", logger="textclass"):
        summary = predict_file(clf, source, out)
    assert summary.rows == 4 and summary.empty == 2
    assert [row["empty"] for row in read_output(out, "jsonl")] == [False, True, True, False]
    assert "2 of 4 rows have an empty text" in caplog.text


def test_floats_are_rounded_to_significant_digits(clf):
    spec = RowSpec(("a", "b", "c"), top_k=0, probabilities=True, digits=3)
    proba = np.array([[0.123456, 0.00001234567, 0.87653]], dtype=np.float32)
    row = spec.rows(["x"], proba)[0]
    assert (row["p_a"], row["p_b"], row["p_c"]) == (0.123, 1.23e-05, 0.877)
    assert row["confidence"] == 0.877 and repr(row["confidence"]) == "0.877"
    full = RowSpec(("a", "b", "c"), probabilities=True).rows(["x"], proba)[0]
    assert full["p_a"] == float(proba[0, 0])
    for digits in (0, 18):
        with pytest.raises(ConfigError, match="digits"):
            RowSpec(("a",), digits=digits)


def test_default_rounding_in_files(clf, tmp_path):
    source = write_input(tmp_path / "in.csv", "csv", TEXTS)
    predict_file(clf, source, tmp_path / "out.jsonl", probabilities=True)
    for row in read_output(tmp_path / "out.jsonl", "jsonl"):
        for label in clf.labels_:
            value = row[f"p_{label}"]
            assert value == float(f"{value:.4g}")
            assert len(f"{value:e}".split("e")[0].rstrip("0").replace(".", "").lstrip("0")) <= 4


def test_the_run_remembers_its_text_column(remembering, tmp_path, writers):
    source = writers.csv(tmp_path / "in.csv", ["id", "body", "text"], [(1, "bake the sauce", "loan from bank")])
    out = tmp_path / "out.jsonl"
    summary = predict_file(remembering, source, out)
    assert summary.text_column == "body"
    assert read_output(out, "jsonl")[0]["label"] == expected_labels(remembering, ["bake the sauce"])[0]
    # An explicit choice wins; an input without the remembered column falls back to "text".
    assert predict_file(remembering, source, tmp_path / "o2.jsonl", text_column="text").text_column == "text"
    other = writers.csv(tmp_path / "other.csv", ["text"], [("loan",)])
    assert predict_file(remembering, other, tmp_path / "o3.jsonl").text_column == "text"
    neither = writers.csv(tmp_path / "neither.csv", ["id", "msg"], [(1, "loan")])
    with pytest.raises(DataError, match=r"neither.csv, field 'text': no column 'text' \(the run was trained on "
                                        r"column 'body'\); the columns are: 'id', 'msg'"):
        predict_file(remembering, neither, tmp_path / "o4.jsonl")


@pytest.mark.parametrize("name, content, message", [
    ("ragged.csv", "id,text\n1,bake\n2,loan,extra\n", r"ragged.csv, row 3: 3 fields but the header has 2"),
    ("quote.csv", "id,text\n1,bake\n2,\"loan\"x\n", r"quote.csv, row 3: malformed record"),
    ("dupe.csv", "text,text\na,b\n", r"dupe.csv, row 1: the header names 'text' more than once"),
    ("empty.csv", "", r"empty.csv: no header row"),
    ("bad.jsonl", '{"text": "bake"}\n{"text": loan}\n', r"bad.jsonl, row 2: not valid JSON"),
    ("list.jsonl", '{"text": "bake"}\n["loan"]\n', r"list.jsonl, row 2: expected a JSON object"),
    ("key.jsonl", '{"text": "bake"}\n{"body": "loan"}\n', r"key.jsonl, row 2, field 'text': no key 'text'"),
    ("type.jsonl", '{"text": "bake"}\n{"text": 3}\n', r"type.jsonl, row 2, field 'text': text must be a string"),
    ("missing.csv", "id,body\n1,bake\n", r"missing.csv, field 'text': no column 'text'"),
])
def test_bad_input_names_file_row_and_field_and_leaves_no_output(clf, tmp_path, name, content, message):
    source = tmp_path / name
    source.write_text(content, encoding="utf-8")
    out = tmp_path / "out.csv"
    with pytest.raises(DataError, match=message):
        predict_file(clf, source, out)
    assert [p.name for p in tmp_path.iterdir()] == [name]  # neither the output nor a temporary file


def test_bad_bytes_are_named_by_line(clf, tmp_path):
    source = tmp_path / "in.txt"
    source.write_bytes(b"bake\nlo\xffan\n")
    with pytest.raises(DataError, match=r"in.txt: line 2 is not valid UTF-8"):
        predict_file(clf, source, tmp_path / "out.jsonl")


def test_a_failure_deep_in_the_file_leaves_no_output(clf, tmp_path):
    """Many chunks are written before the bad row; none of them may appear at the output path."""
    lines = [json.dumps({"text": f"bake the sauce {i}"}) for i in range(50)] + ["{broken"]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 51"):
        predict_file(clf, source, tmp_path / "out.jsonl", chunk_rows=8)
    assert [p.name for p in tmp_path.iterdir()] == ["in.jsonl"]


def test_an_existing_output_is_replaced_only_when_asked(clf, tmp_path):
    source = write_input(tmp_path / "in.csv", "csv", TEXTS)
    out = tmp_path / "out.csv"
    out.write_text("precious\n")
    with pytest.raises(ConfigError, match="already exists"):
        predict_file(clf, source, out)
    assert out.read_text() == "precious\n"
    broken = tmp_path / "broken.csv"
    broken.write_text("id,text\n1,a,b\n")
    with pytest.raises(DataError):
        predict_file(clf, broken, out, overwrite=True)
    assert out.read_text() == "precious\n"  # a failed replacement keeps the old file
    predict_file(clf, source, out, overwrite=True)
    assert len(read_output(out, "csv")) == len(TEXTS)


def test_the_input_can_be_rewritten_in_place_with_overwrite(clf, tmp_path):
    source = write_input(tmp_path / "in.csv", "csv", TEXTS)
    predict_file(clf, source, source, overwrite=True)
    rows = read_output(source, "csv")
    assert [row["text"] for row in rows] == TEXTS and [row["label"] for row in rows] == expected_labels(clf, TEXTS)


def test_an_input_label_column_needs_a_prefix(clf, tmp_path, writers):
    source = writers.csv(tmp_path / "in.csv", ["text", "label"], [("bake", "cooking"), ("loan", "finance")])
    with pytest.raises(DataError, match=r"in.csv, field 'label': the input already has 'label'.*prefix"):
        predict_file(clf, source, tmp_path / "out.csv")
    predict_file(clf, source, tmp_path / "out.csv", prefix="pred_")
    rows = read_output(tmp_path / "out.csv", "csv")
    assert list(rows[0]) == ["text", "label", "pred_label", "pred_confidence", "pred_empty"]
    assert [row["label"] for row in rows] == ["cooking", "finance"]
    jsonl = writers.jsonl(tmp_path / "in.jsonl", [{"text": "bake"}, {"text": "loan", "confidence": 1}])
    with pytest.raises(DataError, match=r"in.jsonl, row 2, field 'confidence'"):
        predict_file(clf, jsonl, tmp_path / "out.jsonl")


def test_lines_output_holds_the_labels_only(clf, tmp_path):
    source = write_input(tmp_path / "in.csv", "csv", TEXTS)
    predict_file(clf, source, tmp_path / "labels.txt")
    assert (tmp_path / "labels.txt").read_text(encoding="utf-8").splitlines() == expected_labels(clf, TEXTS)
    with pytest.raises(ConfigError, match="only the label"):
        predict_file(clf, source, tmp_path / "labels2.txt", probabilities=True)


def test_an_empty_input_gives_a_header_only(clf, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,text\n", encoding="utf-8")
    summary = predict_file(clf, source, tmp_path / "out.csv")
    assert summary.rows == 0
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == "id,text,label,confidence,empty\n"


def test_stdin_and_stdout(clf, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO("bake the sauce\n\nloan\n".encode())))
    summary = predict_file(clf, "-", "-")
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert summary.output_format == "jsonl" and len(rows) == 3
    assert [row["text"] for row in rows] == ["bake the sauce", "", "loan"]
    assert [row["empty"] for row in rows] == [False, True, False]
    assert all(math.isfinite(row["confidence"]) for row in rows)
