"""Checkpoints: the file format (safetensors + JSON, no pickle), pruning, and exact resumption."""
from __future__ import annotations

import json
import math
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from textclass import TextClassifier
from textclass.errors import ConfigError
from textclass.training import Checkpointer, checkpoint_dir_for


class Stop(Exception):
    pass


def test_state_round_trips_through_safetensors_and_json(tmp_path):
    state = {"model": {"w": torch.randn(3, 2), "step": torch.tensor(4.0)},
             "optimizer": {"state": {0: {"sum": torch.ones(2)}}, "param_groups": [{"betas": (0.9, 0.99)}]},
             "numpy": ("MT19937", np.arange(624, dtype=np.uint32), 5, 0, 0.0),
             "python": (3, tuple(range(625)), None), "big": 2 ** 100, "best": math.inf, "none": None}
    checkpoints = Checkpointer(tmp_path)
    path = checkpoints.save("000000001", state)
    assert sorted(p.name for p in path.iterdir()) == ["state.json", "tensors.safetensors"]
    back = checkpoints.load_latest()
    assert torch.equal(back["model"]["w"], state["model"]["w"]) and back["model"]["step"].item() == 4.0
    assert torch.equal(back["optimizer"]["state"][0]["sum"], torch.ones(2))  # int keys survive JSON
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.99)
    assert back["numpy"][1].dtype == np.uint32 and np.array_equal(back["numpy"][1], np.arange(624))
    assert back["python"] == state["python"] and back["big"] == 2 ** 100 and back["best"] == math.inf
    with pytest.raises(TypeError, match="cannot checkpoint a object"):
        checkpoints.save("000000002", {"x": object()})


def test_only_the_newest_complete_checkpoints_are_kept(tmp_path):
    checkpoints = Checkpointer(tmp_path, keep=2)
    for step in (1, 2, 3):
        checkpoints.save(f"{step:09d}", {"step": step})
    (tmp_path / ".tmp-half-written").mkdir()  # a save killed midway: never read, never counted
    assert [p.name for p in checkpoints.checkpoints()] == ["step-000000002", "step-000000003"]
    assert checkpoints.load_latest() == {"step": 3}


def test_a_fresh_training_refuses_the_checkpoints_of_an_interrupted_one(tmp_path):
    Checkpointer(tmp_path).save("000000001", {"step": 1})
    with pytest.raises(ConfigError, match="resume it"):
        Checkpointer(tmp_path).check_start()
    Checkpointer(tmp_path, resume=True).check_start()


def weights(clf) -> dict:
    return {k: v.clone() for k, v in clf.model_.state_dict().items()}


def without_timing(history):
    return [{k: v for k, v in row.items() if k not in ("seconds", "texts_per_second")} for row in history]


@pytest.mark.parametrize("model, params", [
    ("ngram", dict(members=2, char_ngrams="off", num_buckets=1 << 14, lr=0.3)),  # sparse rows, Adagrad, randint
    ("bilstm", dict(embedding_dim=8, hidden_dim=8, num_layers=1, min_freq=1, lr=0.02, grad_accum_steps=2)),  # dropout
])
def test_a_training_interrupted_mid_epoch_resumes_to_the_same_weights(topics, tmp_path, model, params):
    train, _ = topics
    settings = dict(epochs=3, batch_size=16, progress=False, seed=4, **params)
    reference = TextClassifier(model, **settings).fit(train)

    def interrupt(row):
        if row["epoch"] == 2:  # after epoch 2's last periodic checkpoint, before its end-of-epoch one
            raise Stop

    with pytest.raises(Stop):
        TextClassifier(model, **settings).fit(train, on_epoch_end=interrupt,
                                              checkpoints=Checkpointer(tmp_path, every_steps=2))
    newest = Checkpointer(tmp_path).checkpoints()[-1].name
    assert not newest.endswith("epoch-end")
    resumed = TextClassifier(model, **settings).fit(train, checkpoints=Checkpointer(tmp_path, resume=True))
    for name, tensor in weights(reference).items():
        assert torch.equal(tensor, resumed.model_.state_dict()[name]), name
    assert without_timing(resumed.history_) == without_timing(reference.history_)
    assert resumed.best_epoch_ == reference.best_epoch_


def test_resuming_with_other_settings_is_refused(topics, tmp_path):
    train, _ = topics
    settings = dict(epochs=2, batch_size=32, progress=False, members=1, char_ngrams="off", num_buckets=1 << 12)
    with pytest.raises(Stop):
        TextClassifier("ngram", **settings).fit(train, on_epoch_end=lambda row: (_ for _ in ()).throw(Stop),
                                                checkpoints=Checkpointer(tmp_path, every_steps=1))
    with pytest.raises(ConfigError, match="other settings or data"):
        TextClassifier("ngram", **{**settings, "lr": 0.5}).fit(train, checkpoints=Checkpointer(tmp_path, resume=True))


TRAIN_FLAGS = ("--model", "cnn", "--embedding-dim", 8, "--num-filters", 8, "--kernel-sizes", "2,3", "--min-freq", 1,
               "--batch-size", 8, "--epochs", 3, "--patience", 0, "--lr", 0.01, "--seed", 5, "--no-progress",
               "--text-column", "body", "--label-column", "queue", "--checkpoint-every", 1)


def train_command(files, out, *extra) -> list[str]:
    return [sys.executable, "-m", "textclass.cli.main", "-q", "train", "--train", str(files["train_csv"]), "--test",
            str(files["test_csv"]), *map(str, TRAIN_FLAGS), "--out", str(out), *extra]


def child_env() -> dict:
    # One thread in every process, so the reference and the resumed run do the same arithmetic.
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}


def test_a_training_killed_with_sigkill_at_a_random_step_resumes_exactly(topic_files, tmp_path):
    reference = tmp_path / "reference"
    done = subprocess.run(train_command(topic_files, reference), env=child_env(), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "killed"
    folder = checkpoint_dir_for(out)
    steps_per_epoch = -(-216 // 8)  # 240 texts less the 10% validation hold-out, batches of 8
    kill_after = random.Random().randint(2, 2 * steps_per_epoch)  # anywhere in the first two epochs
    child = subprocess.Popen(train_command(topic_files, out), env=child_env(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while child.poll() is None and time.monotonic() < deadline:
        names = [p.name for p in folder.glob("step-*")] if folder.is_dir() else []
        if any(int(name.split("-")[1]) >= kill_after for name in names):
            child.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL, f"not killed (step {kill_after}): {child.stderr.read()}"
    assert not out.exists() and folder.is_dir()
    resumed = subprocess.run(train_command(topic_files, out, "--resume"), env=child_env(), capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    expected, got = load_file(str(reference / "model.safetensors")), load_file(str(out / "model.safetensors"))
    assert expected.keys() == got.keys()
    for name in expected:
        assert torch.equal(expected[name], got[name]), f"{name} differs after a kill at step {kill_after}"
    read = lambda run, name: json.loads((run / name).read_text())  # noqa: E731
    assert read(out, "metrics.json") == read(reference, "metrics.json")
    assert without_timing(read(out, "history.json")) == without_timing(read(reference, "history.json"))
    assert not folder.exists()  # removed once the run is saved


def test_cli_train_over_an_interrupted_trainings_checkpoints_asks_for_resume(cli, topic_files, tmp_path):
    Checkpointer(checkpoint_dir_for(tmp_path / "run")).save("000000001", {"step": 1})
    result = cli("train", "--train", topic_files["train_csv"], "--text-column", "body", "--label-column", "queue",
                 "--out", tmp_path / "run")
    assert result.code == 2 and "add --resume to continue it" in result.err
