"""Data-parallel training: shards, equivalence with one process at the same global batch, a dying rank."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from textclass.batching import bucketed_batches
from textclass.errors import ConfigError
from textclass.training.distributed import Distributed

ROOT = Path(__file__).resolve().parents[2]


def child_env() -> dict:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}


@pytest.mark.parametrize("n, batch_size, world", [(240, 8, 2), (241, 8, 2), (100, 7, 3), (33, 4, 4), (5, 2, 4)])
def test_every_text_is_seen_once_per_epoch_and_every_rank_steps_together(n, batch_size, world):
    lengths = np.random.default_rng(n).integers(1, 50, size=n)
    global_batches = bucketed_batches(lengths, batch_size * world, np.random.default_rng(0))
    shards = [Distributed(rank, world, rank, torch.device("cpu")).shard(global_batches) for rank in range(world)]
    assert len({len(shard) for shard in shards}) == 1  # the same number of steps on every rank
    seen = np.concatenate([indices for shard in shards for indices, _ in shard])
    assert np.array_equal(np.sort(seen), np.arange(n))
    for step in zip(*shards):  # each step's pieces make one global batch, whose size every rank knows
        assert all(len(indices) >= 1 for indices, _ in step)
        assert {size for _, size in step} == {sum(len(indices) for indices, _ in step)}


def test_fewer_texts_than_ranks_is_refused():
    with pytest.raises(ConfigError, match="3 training texts cannot be shared by 4 processes"):
        Distributed(0, 4, 0, torch.device("cpu")).shard([np.arange(3)])


# Settings without randomness inside training (one ngram member, no dropout), so that two ranks and one
# process compute the same steps; the remaining differences come from summing gradients in another order.
FAMILIES = {
    "ngram": ("--members", 1, "--char-ngrams", "off", "--num-buckets", 1 << 14, "--epochs", 2),
    "cnn": ("--embedding-dim", 8, "--num-filters", 8, "--kernel-sizes", "2,3", "--dropout", 0.0, "--min-freq", 1,
            "--epochs", 2, "--patience", 0, "--lr", 0.01),
}
TOLERANCE = 1e-5  # largest absolute weight difference allowed (measured: below 3e-7 for both)


@pytest.mark.parametrize("model", sorted(FAMILIES))
def test_two_gloo_processes_train_what_one_does_at_the_same_global_batch(model, cli, topic_files, tmp_path):
    data = ("--train", topic_files["train_csv"], "--test", topic_files["test_csv"], "--text-column", "body",
            "--label-column", "queue", "--model", model, "--no-progress", *FAMILIES[model])
    single = cli("train", *data, "--batch-size", 16, "--out", tmp_path / "one")
    assert single.code == 0, single.err
    command = [sys.executable, "-m", "textclass", "train", *map(str, data), "--batch-size", "8", "--nproc", "2",
               "--out", str(tmp_path / "two")]
    two = subprocess.run(command, env=child_env(), capture_output=True, text=True, timeout=300)
    assert two.returncode == 0, two.stderr
    assert two.stderr.count("epoch 1/2") == 1  # only rank 0 logs
    assert "distributed: 2 processes (gloo), each on batches of 8: global batch 16" in two.stderr
    one, both = load_file(str(tmp_path / "one/model.safetensors")), load_file(str(tmp_path / "two/model.safetensors"))
    for name in one:
        assert torch.allclose(one[name], both[name], rtol=0, atol=TOLERANCE), name
    config = (tmp_path / "two/config.json").read_text()
    assert '"world_size": 2' in config
    assert "accuracy" in two.stdout and single.out.split("accuracy")[1][:12] == two.stdout.split("accuracy")[1][:12]


DYING = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    from conftest import make_topic_texts
    from textclass import TextClassifier
    from textclass.training import distributed

    group = distributed.init_from_environment("cpu")

    def die(row):
        if group.rank == 1:
            os.kill(os.getpid(), signal.SIGKILL)

    TextClassifier("ngram", epochs=5, members=1, char_ngrams="off", progress=False).fit(
        make_topic_texts(240, 1), on_epoch_end=die)
    print("finished")
""")


def test_a_rank_that_dies_makes_the_job_fail_clearly(tmp_path):
    script = tmp_path / "dying.py"
    script.write_text(DYING.format(tests=str(ROOT / "tests")))
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", str(script)]
    result = subprocess.run(command, env=child_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "finished" not in result.stdout
    assert "Signal 9 (SIGKILL)" in result.stderr and "rank" in result.stderr


def test_two_processes_killed_mid_epoch_resume_across_ranks(cli, topic_files, tmp_path):
    psutil = pytest.importorskip("psutil")
    data = ("--train", topic_files["train_csv"], "--test", topic_files["test_csv"], "--text-column", "body",
            "--label-column", "queue", "--model", "ngram", "--no-progress", *FAMILIES["ngram"])
    single = cli("train", *data, "--batch-size", 8, "--out", tmp_path / "one")
    assert single.code == 0, single.err
    out = tmp_path / "two"
    command = [sys.executable, "-m", "textclass", "train", *map(str, data), "--batch-size", "4", "--nproc", "2",
               "--checkpoint-every", "1", "--out", str(out)]
    job = subprocess.Popen(command, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    folder, kill_after = out.parent / ".two.checkpoints", 20  # 27 steps per epoch: mid-epoch 1
    deadline = time.monotonic() + 300
    while job.poll() is None and time.monotonic() < deadline:
        if any(int(p.name.split("-")[1]) >= kill_after for p in folder.glob("step-*")):
            for process in [*psutil.Process(job.pid).children(recursive=True), psutil.Process(job.pid)]:
                process.kill()  # the launcher, torchrun and both ranks, as a crash of the machine would
            break
        time.sleep(0.002)
    assert job.wait(timeout=60) == -9 and not out.exists()
    resumed = subprocess.run(command + ["--resume"], env=child_env(), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed at epoch 1" in resumed.stderr
    one, both = load_file(str(tmp_path / "one/model.safetensors")), load_file(str(out / "model.safetensors"))
    for name in one:
        assert torch.allclose(one[name], both[name], rtol=0, atol=TOLERANCE), name
