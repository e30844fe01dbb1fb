"""explain, compare, predict --abstain-below and the confidence flags of train, through the CLI."""
import json

import pytest

from textclass import TextClassifier

FLAGS = ("--model", "ngram", "--num-buckets", 65536, "--epochs", 4, "--batch-size", 16, "--no-progress",
         "--no-report")


@pytest.fixture(scope="module")
def sentiment_files(tmp_path_factory, sentiment_task, writers):
    folder = tmp_path_factory.mktemp("sentiment")
    flip = {"pos": "neg", "neg": "pos"}
    train = [(t, flip[y] if i % 8 == 0 else y) for i, (t, y) in enumerate(sentiment_task(400, 0))]
    return (writers.csv(folder / "train.csv", ["text", "label"], train),
            writers.csv(folder / "test.csv", ["text", "label"], sentiment_task(120, 7)))


@pytest.fixture(scope="module")
def runs(tmp_path_factory, sentiment_files, cli):
    train, test = sentiment_files
    folder = tmp_path_factory.mktemp("runs")
    made = {}
    for name, extra in (("a", ("--threshold-objective", "f1")), ("b", ("--no-calibrate", "--seed", 1))):
        result = cli("train", "--train", train, "--test", test, "--out", folder / name, *FLAGS, *extra)
        assert result.code == 0, result.err
        made[name] = folder / name
    return made


def test_train_flags_reach_the_run(runs):
    a, b = TextClassifier.load(runs["a"]), TextClassifier.load(runs["b"])
    assert a.decision_["objective"] == "f1" and a.calibration_["fitted_on"] == "validation"
    assert b.decision_ is None and b.temperature_ == 1.0 and not b.training_config().calibrate
    metrics = json.loads((runs["a"] / "metrics.json").read_text())
    assert metrics["calibration"]["after"]["ece"] >= 0 and "coverage" in metrics
    assert not (runs["a"] / "report.html").exists()  # --no-report


def test_bad_threshold_objective_is_a_clear_error(cli, sentiment_files, tmp_path):
    result = cli("train", "--train", sentiment_files[0], "--out", tmp_path / "run", *FLAGS,
                 "--threshold-objective", "precision:2")
    assert result.code == 2 and "threshold_objective" in result.err
    assert not (tmp_path / "run").exists()


def test_predict_abstains_under_the_floor(cli, runs):
    result = cli("predict", runs["a"], "w1 good w2", "w5 w6", "--abstain-below", "1.0")
    assert result.code == 0, result.err
    labels = [line.split("\t")[0] for line in result.out.splitlines()]
    assert len(labels) == 2 and "uncertain" in labels
    result = cli("predict", runs["a"], "good", "--abstain-below", "2")
    assert result.code == 2 and "abstain_below" in result.err


def test_compare_pairs_runs_on_the_same_test_set(cli, runs):
    result = cli("compare", runs["a"], runs["b"])
    assert result.code == 0, result.err
    assert "McNemar" in result.out and "p = " in result.out
    data = json.loads(cli("compare", runs["a"], runs["b"], "--json").out)
    assert [row["model"] for row in data["rows"]] == ["ngram_v1", "ngram_v1"]
    assert len(data["pairs"]) == 1 and 0 <= data["pairs"][0]["p_value"] <= 1


def test_explain_json_and_plain_text(cli, runs):
    result = cli("explain", runs["a"], "w1 good w2", "--json")
    assert result.code == 0, result.err
    record = json.loads(result.out)
    assert record["method"] == "ngram-exact" and [t["token"] for t in record["tokens"]] == ["w1", "good", "w2"]
    assert record["features"] and "bias" in record
    plain = cli("explain", runs["a"], "w1 good w2")
    assert plain.code == 0 and "\x1b[" not in plain.out  # not a terminal: no colour codes
    assert "good" in plain.out and "n-grams" in plain.out


def test_explain_colours_only_on_a_terminal(runs, monkeypatch, capsys):
    import sys

    from textclass.cli.main import main

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["explain", str(runs["a"]), "w1 good w2"]) == 0
    assert "\x1b[48;5;" in capsys.readouterr().out
    assert main(["explain", str(runs["a"]), "w1 good w2", "--no-color"]) == 0
    assert "\x1b[" not in capsys.readouterr().out


def test_streamed_files_use_the_threshold_and_abstain(cli, runs, tmp_path, writers):
    texts = ["w1 good w2", "w5 w6", "bad w3"]
    source = writers.csv(tmp_path / "in.csv", ["text"], [[t] for t in texts])
    clf = TextClassifier.load(runs["a"])
    decided = clf.decide(clf.predict_proba(texts))
    result = cli("predict", runs["a"], "--input", source, "--output", tmp_path / "out.jsonl", "--abstain-below", 0.9)
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [row["label"] for row in rows] == [label if p >= 0.9 else "uncertain" for label, p in decided]
