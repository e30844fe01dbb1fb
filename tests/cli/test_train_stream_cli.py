"""`textclass train --stream`: the run it saves, where its ids go, and the combinations it refuses."""
from __future__ import annotations

import json


def test_stream_trains_saves_and_cleans_up(tmp_path, topic_files, cli):
    out = tmp_path / "runs" / "topics"
    result = cli("train", "--model", "ngram", "--train", topic_files["train_csv"], "--test",
                     topic_files["test_csv"], "--text-column", "body", "--label-column", "queue", "--stream",
                     "--stream-chunk", "50", "--epochs", "3", "--out", out, "--no-report", "--no-progress")
    assert result.code == 0, result.err
    assert "rows, 3 labels" in result.err and "train.ids" in result.err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == 60 and metrics["accuracy"] > 0.8
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["topics"]  # no ids folder left beside it


def test_stream_refuses_what_needs_texts_in_memory(tmp_path, topic_files, cli, assert_clean_failure):
    base = ("train", "--model", "ngram", "--stream", "--out", tmp_path / "run")
    assert_clean_failure(cli(*base, "--data", "imdb"), "--stream", "--train FILE")
    assert_clean_failure(cli(*base, "--train", topic_files["train_csv"], "--limit", "10"), "--limit")
    assert_clean_failure(cli(*base, "--train", topic_files["train_csv"], "--stream-chunk", "0"),
                         "--stream-chunk")
    assert not (tmp_path / "run").exists() or not any((tmp_path / "run").iterdir())
