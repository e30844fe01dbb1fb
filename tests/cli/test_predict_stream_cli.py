"""The real `textclass predict` process: pipes in and out, exit codes, and memory that does not grow with the input."""
import csv
import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
       "PYTHONWARNINGS": "ignore"}


@pytest.fixture(scope="module")
def ngram_run(cli, topic_files, tmp_path_factory):
    run = tmp_path_factory.mktemp("ngram-run") / "run"
    result = cli("train", "--train", topic_files["train_csv"], "--text-column", "body", "--label-column", "queue",
                 "--model", "ngram", "--epochs", 3, "--char-ngrams", "off", "--no-progress", "--out", run)
    assert result.code == 0, result.err
    return run


def textclass(*args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "textclass", "-q", "predict", *map(str, args)], input=stdin,
                          capture_output=True, text=True, timeout=120, env=ENV, cwd="/tmp")


def test_plain_lines_from_stdin_give_json_lines_on_stdout(ngram_run):
    proc = textclass(ngram_run, "--input", "-", stdin="bake the sauce in the oven\n\nthe coach and the team\n")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(row["text"], row["label"], row["empty"]) for row in rows] == [
        ("bake the sauce in the oven", "cooking", False), ("", rows[1]["label"], True),
        ("the coach and the team", "sports", False)]
    assert "predict:" not in proc.stderr  # no progress bar when stderr is not a terminal


def test_csv_through_a_pipe_keeps_its_format_and_columns(ngram_run, topic_files):
    source = Path(topic_files["test_csv"]).read_text(encoding="utf-8")
    proc = textclass(ngram_run, "--input", "-", "--format", "csv", "--output", "-", "--probabilities", stdin=source)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    original = list(csv.DictReader(io.StringIO(source)))
    assert [{k: row[k] for k in ("id", "body", "queue")} for row in rows] == original
    assert list(rows[0])[3:] == ["label", "confidence", "empty", "p_cooking", "p_finance", "p_sports"]
    accuracy = sum(row["label"] == row["queue"] for row in rows) / len(rows)
    assert accuracy > 0.8


def test_a_bad_row_exits_2_with_one_line(ngram_run, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"body": "bake"}\n{"body": "loan"\n', encoding="utf-8")
    proc = textclass(ngram_run, "--input", source, "--output", tmp_path / "out.jsonl")
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: {source}, row 2: not valid JSON: Expecting ',' delimiter at column 1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def write_big_csv(path: Path, rows: int) -> int:
    """Rows of about 5 KB in 20 long tokens: as many bytes as IMDB reviews, a fraction of their n-grams to hash,
    so that the test spends its time on memory, not on CPU."""
    rng = random.Random(rows)
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["id", "body"])
        for i in range(rows):
            writer.writerow([i, " ".join(rng.choice(alphabet) * 250 for _ in range(20))])
    return path.stat().st_size


def peak_rss_mb(*args) -> float:
    """Peak resident memory of one `textclass predict` process, from the kernel's accounting of that child."""
    proc = subprocess.Popen([sys.executable, "-m", "textclass", "-q", "predict", *map(str, args)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, cwd="/tmp")
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    assert status == 0, err.decode()
    return usage.ru_maxrss / 1024


def test_peak_memory_does_not_grow_with_the_input(ngram_run, tmp_path):
    """4x the rows (12 MB vs 47 MB of CSV) within 15 MB of peak RSS.

    On these very inputs, the whole-file implementation this replaced (commit a245991) grew by 40 MB
    (318 -> 358 MB); streamed, both peaked within a megabyte of each other (316 MB).
    """
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    write_big_csv(small, 2_500)
    assert write_big_csv(large, 10_000) > 45 * 2**20
    base = peak_rss_mb(ngram_run, "--input", small, "--output", tmp_path / "small.out.csv")
    grown = peak_rss_mb(ngram_run, "--input", large, "--output", tmp_path / "large.out.csv")
    with open(tmp_path / "large.out.csv", encoding="utf-8") as f:
        assert sum(1 for _ in csv.reader(f)) == 10_001  # every row came out
    assert grown - base < 15, (base, grown)
