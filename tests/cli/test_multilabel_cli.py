"""`textclass train` / `predict` / `evaluate` on a multi-label CSV (label cells split with --label-separator)."""
import csv
import json

import pytest

NGRAM = ("--model", "ngram", "--num-buckets", 65536, "--epochs", 10, "--batch-size", 16, "--no-progress")


@pytest.fixture(scope="module")
def multilabel_run(tmp_path_factory, multilabel_task, writers, cli):
    folder = tmp_path_factory.mktemp("multilabel-cli")
    files = {}
    for name, (n, seed) in {"train": (400, 0), "test": (100, 1)}.items():
        # CSV cannot say "no label" (an empty cell is a missing label), so texts without one are left out.
        rows = ((text, "|".join(labels)) for text, labels in multilabel_task(n, seed) if labels)
        files[name] = writers.csv(folder / f"{name}.csv", ["text", "tags"], rows)
    run = folder / "run"
    result = cli("train", "--train", files["train"], "--test", files["test"], "--label-column", "tags",
                     "--label-separator", "|", "--out", run, *NGRAM)
    assert result.code == 0, result.err
    return run, result, files


def test_train_reports_multi_label_metrics_and_records_the_task(multilabel_run):
    run, result, _ = multilabel_run
    for phrase in ("micro F1", "macro F1", "samples F1", "Hamming loss", "subset accuracy", "threshold"):
        assert phrase in result.out
    config = json.loads((run / "config.json").read_text())
    metrics = json.loads((run / "metrics.json").read_text())
    assert config["task"] == "multi_label" and set(config["label_thresholds"]) == {"cooking", "finance", "sports"}
    assert metrics["task"] == "multi_label" and metrics["macro_f1"] > 0.8
    assert {"micro_f1", "samples_f1", "hamming_loss", "subset_accuracy", "label_cardinality"} <= set(metrics)


def test_predict_prints_the_label_set(multilabel_run, cli):
    run, _, _ = multilabel_run
    result = cli("predict", run, "the recipe and the stock", "a league goal")
    assert result.code == 0, result.err
    first, second = result.out.splitlines()
    assert first.startswith("cooking=") and " finance=" in first and "sports" not in first
    assert second.startswith("sports=") and "cooking" not in second and second.endswith("\ta league goal")


def test_predict_files_hold_label_lists(multilabel_run, cli, tmp_path):
    run, _, files = multilabel_run
    out = tmp_path / "p.jsonl"
    assert cli("predict", run, "--input", files["test"], "--output", out, "--probabilities").code == 0
    row = json.loads(out.read_text().splitlines()[0])
    assert isinstance(row["labels"], list) and len(row["confidences"]) == len(row["labels"])
    assert {"p_cooking", "p_finance", "p_sports", "text", "tags"} <= set(row)
    out_csv = tmp_path / "p.csv"
    assert cli("predict", run, "--input", files["test"], "--output", out_csv).code == 0
    with open(out_csv, newline="") as f:
        first = next(csv.DictReader(f))
    assert set(json.loads(first["labels"])) <= {"cooking", "finance", "sports"}
    out_lines = tmp_path / "p.txt"
    assert cli("predict", run, "--input", files["test"], "--output", out_lines).code == 0
    assert all(set(line.split("|")) <= {"cooking", "finance", "sports", ""}
               for line in out_lines.read_text().splitlines())


def test_evaluate_a_saved_multi_label_run(multilabel_run, cli, tmp_path):
    run, _, files = multilabel_run
    result = cli("evaluate", run, "--test", files["test"], "--label-column", "tags", "--label-separator", "|",
                 "--output", tmp_path / "m.json")
    assert result.code == 0, result.err
    assert json.loads((tmp_path / "m.json").read_text())["task"] == "multi_label"


def test_a_bad_label_cell_stops_with_file_row_and_field(cli, tmp_path, writers):
    path = writers.csv(tmp_path / "bad.csv", ["text", "tags"], [("ok", "a|b"), ("no", "a||b")])
    result = cli("train", "--train", path, "--label-column", "tags", "--label-separator", "|",
                 "--out", tmp_path / "run", *NGRAM)
    assert result.code == 2
    assert "bad.csv" in result.err and "row 3" in result.err and "'tags'" in result.err
    assert not (tmp_path / "run").exists()
