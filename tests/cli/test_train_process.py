"""A `textclass train` process with every default (ngram, report.html written): it imports only what it uses,
and it leaves the collector as it found it for a caller that goes on, while the process's own exit skips the
last full collection."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Installed with the dev extra, imported by other commands or models, never needed by a plain ngram train.
NOT_NEEDED = ("sklearn", "scipy", "pandas", "transformers", "tokenizers", "gensim", "captum", "optuna", "onnx",
              "onnxruntime", "fastapi", "uvicorn")

CHILD = """
import atexit, gc, json, sys
atexit.register(lambda: print(json.dumps({"frozen_at_exit": gc.get_freeze_count()})))  # runs after main's own
from textclass.cli.main import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "frozen_after_main": gc.get_freeze_count(),
                  "modules": sorted({name.split(".")[0] for name in sys.modules})}))
"""


@pytest.fixture(scope="module")
def train_process(topic_files, tmp_path_factory):
    run = tmp_path_factory.mktemp("train-process") / "run"
    args = ["train", "--train", topic_files["train_csv"], "--test", topic_files["test_csv"], "--text-column", "body",
            "--label-column", "queue", "--epochs", "2", "--no-progress", "--out", run]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", CHILD, *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return run, {key: value for line in lines for key, value in line.items()}


def test_a_plain_train_imports_none_of_the_optional_libraries_it_does_not_use(train_process):
    run, seen = train_process
    assert seen["code"] == 0 and (run / "report.html").is_file()
    assert {"torch", "matplotlib", "jinja2"} <= set(seen["modules"])  # the check sees real imports
    assert not set(NOT_NEEDED) & set(seen["modules"])


def test_main_unfreezes_the_collector_and_the_exit_freezes_it(train_process):
    _, seen = train_process
    assert seen["frozen_after_main"] == 0  # a caller that goes on collects everything again
    assert seen["frozen_at_exit"] > 100_000  # torch and the rest, left to the operating system
