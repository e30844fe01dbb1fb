import csv
import json

import numpy as np
import pytest

from textclass import TextClassifier


@pytest.fixture(scope="module")
def run(cli_run):
    return cli_run[0]


@pytest.fixture(scope="module")
def loaded(run):
    return TextClassifier.load(run)


def test_texts_on_the_command_line(cli, run, loaded):
    texts = ["we talked about the coach and the match", "the recipe: bake the sauce",
             "This movie was absolutely fantastic!"]
    result = cli("predict", run, *texts)
    assert result.code == 0, result.err
    lines = result.out.strip().splitlines()
    assert len(lines) == 3
    proba = loaded.predict_proba(texts)
    for line, text, p in zip(lines, texts, proba):
        label, confidence, preview = line.split("\t")
        assert label == loaded.labels_[int(p.argmax())]
        assert float(confidence) == pytest.approx(float(p.max()), abs=1e-4)
        assert preview == text
    assert lines[0].startswith("sports\t") and lines[1].startswith("cooking\t")


def test_empty_text_argument_gets_a_prediction_marked_as_empty(cli, run, loaded):
    result = cli("predict", run, "", "goal")
    assert result.code == 0, result.err
    label, confidence, shown = result.out.splitlines()[0].split("\t")
    assert label in loaded.labels_ and 0 < float(confidence) <= 1
    assert shown == "<empty text>"
    assert "1 of 2 texts are empty" in result.err


def test_file_in_file_out(cli, run, loaded, topic_files, topics, tmp_path):
    out = tmp_path / "predictions.csv"
    result = cli("predict", run, "--input", topic_files["test_csv"], "--text-column", "body", "--output", out)
    assert result.code == 0, result.err
    texts = topics[1].texts
    assert f"wrote {len(texts)} predictions" in result.out
    with open(out, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        assert reader.fieldnames == ["id", "body", "queue", "label", "confidence", "empty"]  # input columns kept
    assert [row["body"] for row in rows] == texts  # one row per input, in input order
    assert [row["queue"] for row in rows] == topics[1].labels
    proba = loaded.predict_proba(texts)
    assert [row["label"] for row in rows] == [loaded.labels_[i] for i in proba.argmax(1)]
    np.testing.assert_allclose([float(row["confidence"]) for row in rows], proba.max(1), rtol=1e-3)
    assert [p.name for p in tmp_path.iterdir()] == ["predictions.csv"]  # no temp file left behind


def test_jsonl_output_with_probabilities(cli, run, loaded, topic_files, topics, tmp_path):
    out = tmp_path / "predictions.jsonl"
    result = cli("predict", run, "--input", topic_files["test_jsonl"], "--text-column", "msg", "--output", out,
                 "--probabilities", "--digits", "6")
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(topics[1])
    for row in rows:
        probs = [row[f"p_{label}"] for label in loaded.labels_]
        assert sum(probs) == pytest.approx(1.0, abs=1e-4)
        assert row["confidence"] == pytest.approx(max(probs))
        assert row["label"] == loaded.labels_[int(np.argmax(probs))]


def test_top_k_on_the_command_line_and_in_files(cli, run, loaded, topic_files, tmp_path):
    result = cli("predict", run, "bake the sauce", "--top-k", "2")
    assert result.code == 0, result.err
    fields = result.out.rstrip("\n").split("\t")
    assert fields[2].startswith("top1_label=") and fields[4].startswith("top2_label=") and fields[-1] == "bake the sauce"
    out = tmp_path / "out.tsv"
    assert cli("predict", run, "--input", topic_files["test_csv"], "--output", out, "--top-k", "3").code == 0
    with open(out, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f, delimiter="\t"))
    assert header[-6:] == ["top1_label", "top1_probability", "top2_label", "top2_probability", "top3_label",
                           "top3_probability"]


def test_the_run_remembers_the_text_column(cli, run, loaded, topic_files, topics, tmp_path):
    """cli_run was trained with --text-column body: predicting on a file of the same shape needs no flag."""
    config = json.loads((run / "config.json").read_text())
    assert config["data"] == {"text_column": "body", "label_column": "queue"}
    assert loaded.data_columns == config["data"]
    out = tmp_path / "out.csv"
    result = cli("predict", run, "--input", topic_files["test_csv"], "--output", out)
    assert result.code == 0, result.err
    assert "text column 'body'" in result.out
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [row["label"] for row in rows] == loaded.predict(topics[1].texts)


def test_an_existing_output_needs_overwrite(assert_clean_failure, cli, run, topic_files, tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("my notes\n")
    assert_clean_failure(cli("predict", run, "--input", topic_files["test_csv"], "--output", out),
                         "already exists", "--overwrite")
    assert out.read_text() == "my notes\n"
    assert cli("predict", run, "--input", topic_files["test_csv"], "--output", out, "--overwrite").code == 0
    assert out.read_text().startswith("id,body,queue,label,")


def test_a_label_column_in_the_input_needs_a_prefix(assert_clean_failure, cli, run, writers, tmp_path):
    source = writers.csv(tmp_path / "in.csv", ["text", "label"], [("goal", "sports")])
    assert_clean_failure(cli("predict", run, "--input", source, "--output", tmp_path / "out.csv"),
                         "in.csv", "field 'label'", "prefix")
    assert not (tmp_path / "out.csv").exists()
    result = cli("predict", run, "--input", source, "--output", "-", "--prefix", "pred_")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == "text,label,pred_label,pred_confidence,pred_empty"


def test_unlabeled_input_with_the_default_text_column(cli, run, writers, tmp_path):
    source = writers.csv(tmp_path / "new.csv", ["text"], [("goal",), ("loan from the bank",)])
    out = tmp_path / "out.csv"
    result = cli("predict", run, "--input", source, "--output", out)
    assert result.code == 0, result.err
    with open(out, newline="", encoding="utf-8") as f:
        assert [row["label"] for row in csv.DictReader(f)] == ["sports", "finance"]


def test_texts_and_input_are_exclusive(assert_clean_failure, cli, run, topic_files):
    assert_clean_failure(cli("predict", run), "--input")
    assert_clean_failure(cli("predict", run, "text", "--input", topic_files["test_csv"]), "--input")


def test_missing_or_incomplete_run(assert_clean_failure, cli, tmp_path):
    assert_clean_failure(cli("predict", tmp_path / "nothing", "hello"), "no such run directory")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "config.json").write_text("{}")
    assert_clean_failure(cli("predict", tmp_path / "half", "hello"), "not a complete textclass run")


def test_bad_input_file(assert_clean_failure, cli, run, topic_files, writers, tmp_path):
    assert_clean_failure(cli("predict", run, "--input", tmp_path / "none.csv"), "none.csv", "no such file")
    no_text = writers.csv(tmp_path / "no_text.csv", ["id", "msg"], [(1, "goal")])
    assert_clean_failure(cli("predict", run, "--input", no_text), "no_text.csv", "no column 'text'",
                         "trained on column 'body'", "'msg'")
    assert_clean_failure(cli("predict", run, "--input", topic_files["test_csv"], "--output", tmp_path / "out.xlsx"),
                         "out.xlsx", ".csv")
    assert not (tmp_path / "out.xlsx").exists()
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("id,body\n1,goal\n2,loan,bank\n3,bake\n", encoding="utf-8")
    assert_clean_failure(cli("predict", run, "--input", ragged, "--output", tmp_path / "out.csv"),
                         "ragged.csv, row 3", "3 fields but the header has 2")
    assert not (tmp_path / "out.csv").exists()


def test_help_explains_the_flags(cli):
    result = cli("predict", "--help")
    assert result.code == 0
    for flag in ("RUN", "--input", "--output", "--format", "--output-format", "--overwrite", "--text-column",
                 "--top-k", "--probabilities", "--digits", "--prefix", "--batch-size", "--device", "--no-progress"):
        assert flag in result.out
