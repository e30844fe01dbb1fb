"""Training on data larger than memory: IMDB's 25,000 training reviews replicated 1x, 4x and 16x, trained with
``textclass train --stream``; wall time and peak RSS per size.

    TEXTCLASS_DATA=../shared/datasets python benchmarks/bench_stream.py --models ngram,cnn --factors 1,4,16
    python benchmarks/bench_stream.py --models ngram --factors 1,4 --in-memory   # the same without --stream

Every copy after the first is perturbed review by review (seeded): about 5% of adjacent word pairs swapped and
3% of words dropped, so no copy repeats a row word for word. The files are written to --workdir (never the
repository) and reused. Each training is its own process (``textclass train ... --out RUN``), its peak RSS from
os.wait4; the epochs are fixed (``--epochs``, ``--patience 0``) so every size does the same work per row, and
the test report is on IMDB's 25,000 test reviews. Results go to benchmarks/results/stream.json.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import write_results  # noqa: E402

from textclass.data import load_source  # noqa: E402

# Fixed work per row. The cnn reads 200 tokens per review (its default is 800) so that 400,000 reviews fit
# in one epoch of about half an hour on 2 cores; what is measured is how time and memory follow the rows.
SETTINGS = {"ngram": ["--epochs", "2"], "cnn": ["--epochs", "1", "--max-len", "200"]}


def perturb(text: str, rng: random.Random) -> str:
    words = [w for w in text.split(" ") if rng.random() >= 0.03] or text.split(" ")[:1]
    for i in range(len(words) - 1):
        if rng.random() < 0.05:
            words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def build_train(workdir: Path, factor: int) -> Path:
    path = workdir / f"imdb_train_{factor}x.jsonl"
    if path.exists():
        return path
    train = load_source("imdb", "train")
    rng = random.Random(factor)
    partial = path.with_suffix(".partial")
    with open(partial, "w", encoding="utf-8") as f:
        for copy in range(factor):
            for text, label in zip(train.texts, train.labels):
                f.write(json.dumps({"text": text if copy == 0 else perturb(text, rng), "label": label}) + "\n")
    partial.rename(path)
    return path


def build_test(workdir: Path) -> Path:
    path = workdir / "imdb_test.jsonl"
    if not path.exists():
        test = load_source("imdb", "test")
        partial = path.with_suffix(".partial")
        with open(partial, "w", encoding="utf-8") as f:
            for text, label in zip(test.texts, test.labels):
                f.write(json.dumps({"text": text, "label": label}) + "\n")
        partial.rename(path)
    return path


def train(model: str, train_file: Path, test_file: Path, out: Path, stream: bool) -> dict:
    cmd = [sys.executable, "-m", "textclass", "train", "--model", model, "--train", str(train_file), "--test",
           str(test_file), "--out", str(out), "--overwrite", *SETTINGS[model], "--patience", "0",
           "--no-report", "--no-progress"] + (["--stream"] if stream else [])
    load_before = [round(x, 2) for x in os.getloadavg()]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=out.parent)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"failed ({status}): {' '.join(cmd)}\n{err[-3000:]}")
    metrics = json.loads((out / "metrics.json").read_text())
    return {"wall_s": round(wall, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "test_accuracy": round(metrics["accuracy"], 4), "load_average_before": load_before,
            "load_average_after": [round(x, 2) for x in os.getloadavg()]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="ngram,cnn")
    parser.add_argument("--factors", default="1,4,16")
    parser.add_argument("--in-memory", action="store_true", help="train without --stream (the comparison)")
    parser.add_argument("--workdir", default="/tmp/tc-stream-bench")
    parser.add_argument("--out", default="benchmarks/results/stream.json")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    test_file = build_test(workdir)
    previous = json.loads(Path(args.out).read_text()).get("results", []) if Path(args.out).exists() else []
    results = [r for r in previous]
    for model in args.models.split(","):
        for factor in (int(f) for f in args.factors.split(",")):
            train_file = build_train(workdir, factor)
            rows = sum(1 for _ in open(train_file, encoding="utf-8"))
            mode = "in-memory" if args.in_memory else "stream"
            figures = train(model, train_file, test_file, workdir / f"run_{model}_{factor}x", not args.in_memory)
            row = {"model": model, "mode": mode, "factor": factor, "rows": rows, "settings": " ".join(SETTINGS[model]),
                   "file_mb": round(train_file.stat().st_size / 2**20, 1), **figures,
                   "ms_per_row": round(1000 * figures["wall_s"] / rows, 3)}
            print(json.dumps(row), flush=True)
            results = [r for r in results if (r["model"], r["mode"], r["factor"]) != (model, mode, factor)] + [row]
            write_results(args.out, {"command": " ".join(sys.argv), "results": results})


if __name__ == "__main__":
    main()
