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


def assert_clean_failure(result, *fragments):
    assert result.code != 0
    assert "Traceback" not in result.err
    assert result.err.strip().splitlines()[-1].startswith("error: ")
    for fragment in fragments:
        assert fragment in result.err, (fragment, result.err)


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


def test_empty_text_argument_gets_a_prediction(cli, run, loaded):
    result = cli("predict", run, "")
    assert result.code == 0, result.err
    label, confidence, _ = result.out.rstrip("\n").split("\t")
    assert label in loaded.labels_ and 0 < float(confidence) <= 1


def test_file_in_file_out(cli, run, loaded, topic_files, topics, tmp_path):
    out = tmp_path / "predictions.csv"
    result = cli("predict", run, "--input", topic_files["test_csv"], "--text-column", "body", "--output", out)
    assert result.code == 0, result.err
    texts = topics[1].texts
    assert f"wrote {len(texts)} predictions" in result.out
    with open(out, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        assert reader.fieldnames == ["text", "label", "confidence"]
    assert [row["text"] for row in rows] == texts  # one row per input, in input order
    proba = loaded.predict_proba(texts)
    assert [row["label"] for row in rows] == [loaded.labels_[i] for i in proba.argmax(1)]
    np.testing.assert_allclose([float(row["confidence"]) for row in rows], proba.max(1), rtol=0, atol=1e-6)
    assert [p.name for p in tmp_path.iterdir()] == ["predictions.csv"]  # no temp file left behind


def test_jsonl_output_with_probabilities(cli, run, loaded, topic_files, topics, tmp_path):
    out = tmp_path / "predictions.jsonl"
    result = cli("predict", run, "--input", topic_files["test_jsonl"], "--text-column", "msg", "--output", out,
                 "--probabilities")
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(topics[1])
    for row in rows:
        probs = [row[f"p_{label}"] for label in loaded.labels_]
        assert sum(probs) == pytest.approx(1.0, abs=1e-5)
        assert row["confidence"] == pytest.approx(max(probs))
        assert row["label"] == loaded.labels_[int(np.argmax(probs))]


def test_unlabeled_input_with_the_default_text_column(cli, run, writers, tmp_path):
    source = writers.csv(tmp_path / "new.csv", ["text"], [("goal",), ("loan from the bank",)])
    out = tmp_path / "out.csv"
    result = cli("predict", run, "--input", source, "--output", out)
    assert result.code == 0, result.err
    with open(out, newline="", encoding="utf-8") as f:
        assert [row["label"] for row in csv.DictReader(f)] == ["sports", "finance"]


def test_texts_and_input_are_exclusive(cli, run, topic_files):
    assert_clean_failure(cli("predict", run), "--input")
    assert_clean_failure(cli("predict", run, "text", "--input", topic_files["test_csv"]), "--input")


def test_missing_or_incomplete_run(cli, tmp_path):
    assert_clean_failure(cli("predict", tmp_path / "nothing", "hello"), "no such run directory")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "config.json").write_text("{}")
    assert_clean_failure(cli("predict", tmp_path / "half", "hello"), "not a complete textclass run")


def test_bad_input_file(cli, run, topic_files, tmp_path):
    assert_clean_failure(cli("predict", run, "--input", tmp_path / "none.csv"), "none.csv", "no such file")
    assert_clean_failure(cli("predict", run, "--input", topic_files["test_csv"]), "no column 'text'", "'body'")
    assert_clean_failure(cli("predict", run, "--input", topic_files["test_csv"], "--text-column", "body",
                             "--output", tmp_path / "out.xlsx"), "out.xlsx", ".csv")
    assert not (tmp_path / "out.xlsx").exists()


def test_help_explains_the_flags(cli):
    result = cli("predict", "--help")
    assert result.code == 0
    for flag in ("RUN", "--input", "--output", "--text-column", "--batch-size", "--device", "--probabilities"):
        assert flag in result.out
