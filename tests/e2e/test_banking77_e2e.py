"""BANKING77 end to end through the CLI: 77 intents with string labels, files with a `category` column.

3,000 training texts (about 39 per intent), short texts, a small BiLSTM: about 7 s of CPU time.
Measured test accuracy 0.73 (macro F1 0.73) with this configuration; chance is 1/77 = 0.013.
"""
import csv
import json

import pytest

pytestmark = pytest.mark.e2e

THRESHOLD = 0.6


@pytest.fixture(scope="module")
def banking_run(banking77_dir, tmp_path_factory, cli):
    run = tmp_path_factory.mktemp("banking77") / "run"
    # No --label-column: BANKING77's header is `text,category`, and the other column is taken as the label.
    result = cli("train", "--model", "bilstm", "--train", banking77_dir / "train.csv",
                 "--test", banking77_dir / "test.csv", "--limit", 3000, "--max-len", 32, "--min-freq", 2, "--embedding-dim", 64, "--hidden-dim", 64,
                 "--num-layers", 1, "--epochs", 8, "--batch-size", 32, "--lr", 0.005, "--seed", 0,
                 "--device", "cpu", "--no-progress", "--out", run)
    assert result.code == 0, result.err
    return run, result


def test_banking77_multiclass_well_above_chance(banking_run, banking77_dir):
    run, result = banking_run
    metrics = json.loads((run / "metrics.json").read_text())
    categories = json.loads((banking77_dir / "categories.json").read_text())
    assert len(categories) == 77
    assert metrics["labels"] == sorted(categories)
    assert json.loads((run / "labels.json").read_text()) == sorted(categories)
    assert metrics["n"] == 3000
    assert metrics["accuracy"] >= THRESHOLD, metrics["accuracy"]
    assert metrics["macro_f1"] >= THRESHOLD - 0.05
    # Many intents are learned, not a handful of large ones.
    assert sum(stats["f1"] >= 0.5 for stats in metrics["per_class"].values()) >= 50
    assert "Most confused pairs" in result.out  # 77 classes: the report lists confusions, not a 77x77 grid


def test_banking77_predict_file(banking_run, banking77_dir, cli, tmp_path):
    run, _ = banking_run
    with open(banking77_dir / "test.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[:200]
    source = tmp_path / "queries.csv"
    with open(source, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "category"])
        writer.writerows((row["text"], row["category"]) for row in rows)
    out = tmp_path / "predictions.csv"
    result = cli("predict", run, "--input", source, "--output", out)
    assert result.code == 0, result.err
    with open(out, newline="", encoding="utf-8") as f:
        predictions = list(csv.DictReader(f))
    assert [p["text"] for p in predictions] == [row["text"] for row in rows]
    labels = set(json.loads((run / "labels.json").read_text()))
    assert all(p["label"] in labels for p in predictions)
    hits = sum(p["label"] == row["category"] for p, row in zip(predictions, rows))
    assert hits / len(rows) >= THRESHOLD - 0.1
