"""Fixtures shared by the whole suite.

- Every derived file (the prepared IMDB cache) goes to a per-session temporary ``TEXTCLASS_CACHE``, so tests
  never write into ``~/.cache`` or the shared data folder.
- ``data_dir`` / ``imdb_dir`` / ``banking77_dir``: the real data sets under ``$TEXTCLASS_DATA``; tests that need
  them are skipped when they are absent.
- A small synthetic task (three topics with string labels) that a tiny BiLSTM learns in a second or two, as
  in-memory datasets, as CSV/JSONL files, as a fitted classifier and as a saved run made through the CLI.
- ``cli``: runs ``textclass`` in-process and returns the exit code and the captured output.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import random
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

# Test models are tiny: one thread is as fast as two, is deterministic, and does not collapse when the
# machine is shared (two OpenMP threads on an oversubscribed 2-core box run several times slower).
torch.set_num_threads(1)

# --------------------------------------------------------------------------------------------- isolation


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory):
    """A fresh, empty TEXTCLASS_CACHE for this session."""
    cache = tmp_path_factory.mktemp("textclass-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TEXTCLASS_CACHE", str(cache))
        yield cache


@pytest.fixture(autouse=True)
def restore_textclass_logger():
    """``textclass.cli.main.main`` points the "textclass" logger at the stderr of the moment and stops it
    propagating; a test calling it would otherwise leave later tests logging into a closed capture stream and
    invisible to caplog."""
    logger = logging.getLogger("textclass")
    handlers, level, propagate = logger.handlers[:], logger.level, logger.propagate
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)
    logger.propagate = propagate


# ----------------------------------------------------------------------------------------------- real data


@pytest.fixture(scope="session")
def data_dir() -> Path:
    value = os.environ.get("TEXTCLASS_DATA")
    if not value or not Path(value).is_dir():
        pytest.skip("set TEXTCLASS_DATA to the folder holding the data sets (e.g. ../shared/datasets)")
    return Path(value)


@pytest.fixture(scope="session")
def imdb_dir(data_dir) -> Path:
    if not ((data_dir / "aclImdb_v1.tar.gz").is_file() or (data_dir / "aclImdb").is_dir()):
        pytest.skip(f"no aclImdb_v1.tar.gz or aclImdb/ in {data_dir}")
    return data_dir


@pytest.fixture(scope="session")
def banking77_dir(data_dir) -> Path:
    folder = data_dir / "banking77"
    if not ((folder / "train.csv").is_file() and (folder / "test.csv").is_file()):
        pytest.skip(f"no banking77/train.csv and test.csv in {data_dir}")
    return folder


# ---------------------------------------------------------------------------------- a small synthetic task

TOPICS = {
    "cooking": ("recipe", "oven", "flour", "sauce", "bake", "simmer"),
    "finance": ("stock", "bank", "loan", "market", "invest", "bond"),
    "sports": ("goal", "match", "team", "coach", "league", "referee"),
}
FILLER = ("the", "a", "today", "really", "about", "news", "we", "talked", "very", "some", "again", "later")


def make_topic_texts(n: int, seed: int) -> tuple[list[str], list[str]]:
    """``n`` texts cycling through the topics: a few filler words plus one to three words of the topic."""
    rng = random.Random(seed)
    labels = sorted(TOPICS)
    texts, ys = [], []
    for i in range(n):
        label = labels[i % len(labels)]
        words = rng.sample(FILLER, rng.randint(1, 7)) + rng.choices(TOPICS[label], k=rng.randint(1, 3))
        rng.shuffle(words)
        texts.append(" ".join(words))
        ys.append(label)
    return texts, ys


@pytest.fixture(scope="session")
def topics():
    """(train, test) TextDatasets of the topic task: 240 and 60 texts, labels cooking/finance/sports."""
    from textclass.data import TextDataset

    train = TextDataset(*make_topic_texts(240, seed=1), origin="topics-train")
    test = TextDataset(*make_topic_texts(60, seed=2), origin="topics-test")
    return train, test


# Small enough to fit in a second or two, big enough to learn the topic task.
TINY_BILSTM = dict(epochs=6, batch_size=16, lr=0.01, embedding_dim=16, hidden_dim=16, num_layers=1, min_freq=1,
                   progress=False, seed=0)


@pytest.fixture(scope="session")
def tiny_params() -> dict:
    return dict(TINY_BILSTM)


@pytest.fixture(scope="session")
def fitted(topics):
    """A TextClassifier fitted on the topic task. Shared: tests must not refit or mutate it."""
    from textclass import TextClassifier

    train, _ = topics
    return TextClassifier("bilstm", **TINY_BILSTM).fit(train)


def write_csv(path: Path, header: list[str], rows) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def writers():
    """``writers.csv(path, header, rows)`` and ``writers.jsonl(path, records)``."""
    return SimpleNamespace(csv=write_csv, jsonl=write_jsonl)


@pytest.fixture(scope="session")
def topic_files(tmp_path_factory, topics) -> dict[str, Path]:
    """The topic task as files with non-default column names: CSV ``body,queue`` and JSONL ``{"msg","team"}``."""
    folder = tmp_path_factory.mktemp("topic-files")
    train, test = topics
    return {
        "train_csv": write_csv(folder / "train.csv", ["id", "body", "queue"],
                               ((i, t, y) for i, (t, y) in enumerate(zip(train.texts, train.labels)))),
        "test_csv": write_csv(folder / "test.csv", ["id", "body", "queue"],
                              ((i, t, y) for i, (t, y) in enumerate(zip(test.texts, test.labels)))),
        "train_jsonl": write_jsonl(folder / "train.jsonl",
                                   ({"msg": t, "team": y} for t, y in zip(train.texts, train.labels))),
        "test_jsonl": write_jsonl(folder / "test.jsonl",
                                  ({"msg": t, "team": y} for t, y in zip(test.texts, test.labels))),
    }


# ------------------------------------------------------------------------------------------------------ CLI


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*argv) -> CliResult:
    """``textclass ARGV`` in this process; argparse's exits become exit codes like the real command's."""
    from textclass.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    # main() points the "textclass" logger at the current stderr and stops propagation; put it back after,
    # or later tests' caplog would see nothing.
    logger = logging.getLogger("textclass")
    saved = logger.handlers[:], logger.level, logger.propagate
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            logger.handlers[:], logger.propagate = saved[0], saved[2]
            logger.setLevel(saved[1])
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def cli():
    return run_cli


TINY_CLI_FLAGS = ("--model", "bilstm", "--hidden-dim", 16, "--embedding-dim", 16, "--num-layers", 1, "--min-freq", 1,
                  "--batch-size", 16, "--lr", 0.01, "--no-progress")


@pytest.fixture(scope="session")
def tiny_cli_flags() -> tuple:
    return TINY_CLI_FLAGS


@pytest.fixture(scope="session")
def cli_run(tmp_path_factory, topic_files):
    """A run directory made by ``textclass train`` on the topic CSVs, with the command's result."""
    run = tmp_path_factory.mktemp("cli-run") / "run"
    result = run_cli("train", "--train", topic_files["train_csv"], "--test", topic_files["test_csv"],
                     "--text-column", "body", "--label-column", "queue", "--epochs", 6, "--max-len", 32,
                     "--seed", 3, "--out", run, *TINY_CLI_FLAGS)
    assert result.code == 0, result.err
    return run, result


CUES = {"pos": "good", "neg": "bad", "mixed": "meh"}


@pytest.fixture(scope="session")
def sentiment_task():
    """``make(n, seed)``: 'good' or 'bad' at a random place among noise words (pos/neg); one token decides,
    wherever it stands, so any model that reads every position can learn it. ``labels`` may add "mixed"."""

    def make(n: int, seed: int, labels=("pos", "neg")) -> list[tuple[str, str]]:
        rng = random.Random(seed)
        noise = [f"w{i}" for i in range(30)]
        pairs = []
        for _ in range(n):
            label = rng.choice(labels)
            words = rng.choices(noise, k=rng.randint(2, 15))
            words.insert(rng.randrange(len(words) + 1), CUES[label])
            pairs.append((" ".join(words), label))
        return pairs

    return make


@pytest.fixture(scope="session")
def assert_clean_failure():
    """Checks a CLI result: non-zero exit, one `error: ...` line last on stderr naming each fragment, no traceback."""

    def check(result, *fragments):
        assert result.code != 0
        assert "Traceback" not in result.err
        assert result.err.strip().splitlines()[-1].startswith("error: ")
        for fragment in fragments:
            assert fragment in result.err, (fragment, result.err)

    return check


@pytest.fixture(scope="session")
def multilabel_task():
    """``make(n, seed)``: (text, label list) pairs; each of the topics cooking/finance/sports is present with
    probability 0.4, independently (so a text may have none, one or several), and shows as one of its words
    among filler words."""

    def make(n: int, seed: int) -> list[tuple[str, list[str]]]:
        rng = random.Random(seed)
        pairs = []
        for _ in range(n):
            labels = [label for label in sorted(TOPICS) if rng.random() < 0.4]
            words = rng.sample(FILLER, rng.randint(1, 5)) + [rng.choice(TOPICS[label]) for label in labels]
            rng.shuffle(words)
            pairs.append((" ".join(words), labels))
        return pairs

    return make
