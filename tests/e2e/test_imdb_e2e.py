"""IMDB end to end through the CLI: the built-in source, a small packed BiLSTM, the report, evaluate.

The configuration is sized for a 2-core CPU (about 25 s of CPU time; IMDB's one-time preparation into the
session's temporary cache adds about 6 s). A from-scratch BiLSTM learns IMDB slowly: on 2,000 reviews it stays
near 0.55-0.63 after a few epochs, so the slice trades length for count (8,000 reviews, first 64 tokens).
Measured test accuracy of this and nearby configurations (other lr, batch size, max_len 48-96, 6,000-12,000
reviews): 0.69-0.73; this one 0.72. The threshold leaves margin below that and is still about 29 standard
errors above chance (0.5) on 8,000 test reviews: a pipeline that breaks labels, padding or truncation fails it.
"""
import json

import pytest

pytestmark = pytest.mark.e2e

THRESHOLD = 0.66
LIMIT = 8000


@pytest.fixture(scope="module")
def imdb_run(imdb_dir, tmp_path_factory, cli):
    run = tmp_path_factory.mktemp("imdb") / "run"
    result = cli("train", "--data", "imdb", "--data-dir", imdb_dir, "--model", "bilstm", "--limit", LIMIT,
                 "--max-len", 64, "--vocab-size", 5000, "--embedding-dim", 64, "--hidden-dim", 64,
                 "--num-layers", 1, "--epochs", 4, "--batch-size", 64, "--lr", 0.005, "--seed", 0,
                 "--device", "cpu", "--no-progress", "--out", run)
    assert result.code == 0, result.err
    return run, result


def test_imdb_slice_is_learned_well_above_chance(imdb_run):
    run, result = imdb_run
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["labels"] == ["neg", "pos"]
    assert metrics["n"] == LIMIT
    assert [metrics["per_class"][label]["support"] for label in ("neg", "pos")] == [LIMIT // 2, LIMIT // 2]
    assert metrics["accuracy"] >= THRESHOLD, metrics["accuracy"]
    assert metrics["macro_f1"] >= THRESHOLD - 0.02
    # Both classes are predicted: not a constant classifier that happens to sit on a skewed sample.
    assert min(metrics["per_class"][label]["recall"] for label in ("neg", "pos")) >= 0.4
    assert "epoch 4/4" in result.err and "Test report (imdb/test" in result.out


def test_evaluate_reproduces_the_report(imdb_run, imdb_dir, cli, tmp_path):
    run, _ = imdb_run
    out = tmp_path / "m.json"
    result = cli("evaluate", run, "--data", "imdb", "--data-dir", imdb_dir, "--split", "test", "--limit", LIMIT,
                 "--seed", 0, "--output", out)
    assert result.code == 0, result.err
    again, saved = json.loads(out.read_text()), json.loads((run / "metrics.json").read_text())
    assert again["accuracy"] == saved["accuracy"]
    assert again["confusion_matrix"] == saved["confusion_matrix"]


def test_predict_a_review(imdb_run, cli):
    run, _ = imdb_run
    result = cli("predict", run, "This movie was absolutely fantastic!", "")
    assert result.code == 0, result.err
    lines = result.out.strip("\n").split("\n")
    assert len(lines) == 2
    for line in lines:
        label, confidence, _ = line.split("\t")
        assert label in ("neg", "pos") and 0.5 <= float(confidence) <= 1.0
