"""`textclass train --out`: what it may replace, checked before any data is read or any training runs."""
import json
import os
import threading

import pytest

from textclass import TextClassifier, artifact


def assert_clean_failure(result, *fragments):
    assert result.code == 2
    assert "Traceback" not in result.err
    assert result.err.strip().splitlines()[-1].startswith("error: ")
    for fragment in fragments:
        assert fragment in result.err, (fragment, result.err)


def tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def train(cli, topic_files, tiny_cli_flags):
    def run(out, *extra, train_file=None):
        return cli("train", "--train", train_file or topic_files["train_csv"], "--text-column", "body",
                   "--label-column", "queue", "--epochs", 1, "--out", out, *tiny_cli_flags, *extra)

    return run


def test_an_existing_run_needs_overwrite_and_is_checked_before_reading_data(train, cli_run, tmp_path):
    before = tree(cli_run[0])
    # The training file does not exist: the refusal must come first, so nothing was read or trained.
    result = train(cli_run[0], train_file=tmp_path / "missing.csv")
    assert_clean_failure(result, str(cli_run[0]), "add --overwrite")
    assert tree(cli_run[0]) == before


def test_overwrite_replaces_a_run(train, cli_run, tmp_path):
    run = tmp_path / "run"
    os.makedirs(run)
    for name, data in tree(cli_run[0]).items():
        (run / name).write_bytes(data)
    result = train(run, "--overwrite", "--seed", 9)
    assert result.code == 0, result.err
    assert json.loads((run / "config.json").read_text())["training"]["seed"] == 9
    assert TextClassifier.load(run).labels_ == ["cooking", "finance", "sports"]


def test_a_folder_of_the_users_files_is_never_replaced(train, topic_files, tmp_path):
    """The issue's reproduction: a folder holding a config.json, a thesis and the training data itself."""
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "thesis.tex").write_text("precious")
    (folder / "train.csv").write_bytes(topic_files["train_csv"].read_bytes())
    before = tree(folder)
    result = train(folder, "--overwrite", train_file=folder / "train.csv")
    assert_clean_failure(result, str(folder), "not a textclass run")
    assert tree(folder) == before


def test_dot_is_refused_before_training(train, topic_files, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = train(".", "--overwrite")
    assert_clean_failure(result, "current directory")
    assert list(tmp_path.iterdir()) == []


def test_a_training_in_progress_holds_the_out_folder(train, tmp_path, monkeypatch):
    out = tmp_path / "run"
    seen = []

    def second_training(self, *args, **kwargs):
        # Another `textclass train --out` while this one trains (a thread: the lock is reentrant in one thread;
        # across processes it is the same flock, see tests/test_artifact.py).
        other = threading.Thread(target=lambda: seen.append(train(out)))
        other.start()
        other.join()
        return real_fit(self, *args, **kwargs)

    real_fit = TextClassifier.fit
    monkeypatch.setattr(TextClassifier, "fit", second_training)
    assert train(out).code == 0
    assert_clean_failure(seen[0], "is being written by another thread")
    assert artifact.is_run(out)


def test_predicting_from_a_damaged_run_is_one_clear_line(cli, cli_run, tmp_path):
    run = tmp_path / "run"
    os.makedirs(run)
    for name, data in tree(cli_run[0]).items():
        (run / name).write_bytes(data)
    (run / "labels.json").write_text('["cooking", "cooking", "sports"]')
    result = cli("predict", run, "bake the sauce")
    assert_clean_failure(result, "labels.json", "changed or damaged")
    assert result.out == ""
