import json

import pytest

from textclass import TextClassifier


@pytest.fixture(scope="module")
def run(cli_run):
    return cli_run[0]


def test_evaluate_reprints_the_training_report(cli, run, topic_files, tmp_path):
    out = tmp_path / "m.json"
    result = cli("evaluate", run, "--test", topic_files["test_csv"], "--text-column", "body", "--label-column",
                 "queue", "--output", out)
    assert result.code == 0, result.err
    report = json.loads(out.read_text())
    assert {"accuracy", "macro_f1", "per_class", "labels", "confusion_matrix"} <= set(report)
    # The same model on the same file: exactly the figures `train` saved in RUN/metrics.json.
    saved = json.loads((run / "metrics.json").read_text())
    for key in ("accuracy", "macro_f1", "per_class", "labels", "confusion_matrix"):
        assert report[key] == saved[key], key
    assert f"{report['accuracy']:.4f}" in result.out
    assert "Confusion matrix" in result.out


def test_evaluate_agrees_with_the_api(cli, run, topics, topic_files):
    result = cli("evaluate", run, "--test", topic_files["test_jsonl"], "--text-column", "msg",
                 "--label-column", "team")
    assert result.code == 0, result.err
    report = TextClassifier.load(run).evaluate(topics[1])
    assert f"accuracy     {report['accuracy']:.4f}" in result.out


def test_limit_samples_the_test_split(cli, run, topic_files, tmp_path):
    out = tmp_path / "m.json"
    result = cli("evaluate", run, "--test", topic_files["test_csv"], "--text-column", "body", "--label-column",
                 "queue", "--limit", 12, "--output", out)
    assert result.code == 0, result.err
    report = json.loads(out.read_text())
    assert report["n"] == 12
    assert [s["support"] for s in report["per_class"].values()] == [4, 4, 4]  # stratified


def test_unseen_label(cli, run, writers, tmp_path, assert_clean_failure):
    test = writers.csv(tmp_path / "t.csv", ["text", "label"], [("goal", "sports"), ("sun", "weather")])
    assert_clean_failure(cli("evaluate", run, "--test", test), "'weather'", "t.csv")


def test_unlabeled_test_file(cli, run, writers, tmp_path, assert_clean_failure):
    test = writers.csv(tmp_path / "t.csv", ["text", "id"], [("goal", 1), ("sun", 2)])
    assert_clean_failure(cli("evaluate", run, "--test", test), "t.csv")


def test_no_data_given(cli, run, assert_clean_failure):
    assert_clean_failure(cli("evaluate", run), "--test")


def test_missing_run(cli, tmp_path, topic_files, assert_clean_failure):
    assert_clean_failure(cli("evaluate", tmp_path / "nothing", "--test", topic_files["test_csv"]),
                         "no such run directory")


def test_help_explains_the_flags(cli):
    result = cli("evaluate", "--help")
    assert result.code == 0
    for flag in ("RUN", "--data", "--split", "--test", "--text-column", "--label-column", "--data-dir", "--limit",
                 "--seed", "--device", "--batch-size", "--output"):
        assert flag in result.out, flag


def test_output_folder_is_created(cli, run, topic_files, tmp_path):
    out = tmp_path / "reports" / "today" / "m.json"
    result = cli("evaluate", run, "--test", topic_files["test_csv"], "--text-column", "body", "--label-column",
                 "queue", "--output", out)
    assert result.code == 0, result.err
    assert json.loads(out.read_text())["labels"] == ["cooking", "finance", "sports"]


def test_unwritable_output_is_a_clean_error(cli, run, topic_files, tmp_path, assert_clean_failure):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = cli("evaluate", run, "--test", topic_files["test_csv"], "--text-column", "body", "--label-column",
                 "queue", "--output", blocker / "m.json")
    assert_clean_failure(result, "a-file")
