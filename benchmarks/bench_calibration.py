"""Calibration, decision thresholds and abstention of the default model (``ngram``), measured through the CLI.

Each job is ``textclass train`` in a fresh process (defaults, plus the job's flags) on the official test split;
the figures come from the run's metrics.json and config.json: the fitted temperature, NLL / Brier / ECE (15
equal-width bins) on test before and after temperature scaling, the tuned threshold, and the coverage-accuracy
table of abstaining under confidence floors. The load average is recorded per job (the machine may be shared).

    TEXTCLASS_DATA=/work/shared/datasets python benchmarks/bench_calibration.py --seeds 0,1,2
    python benchmarks/bench_calibration.py --jobs imdb_f1,imdb_precision95 --seeds 0
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def banking77_files() -> list[str]:
    folder = Path(os.environ.get("TEXTCLASS_DATA", "")) / "banking77"
    return ["--train", str(folder / "train.csv"), "--test", str(folder / "test.csv"), "--label-column", "category"]


JOBS = {
    "imdb": lambda: ["--data", "imdb"],
    "imdb_f1": lambda: ["--data", "imdb", "--threshold-objective", "f1"],
    "imdb_precision95": lambda: ["--data", "imdb", "--threshold-objective", "precision:0.95"],
    "imdb_recall95": lambda: ["--data", "imdb", "--threshold-objective", "recall:0.95"],
    "banking77": banking77_files,
}


def run_job(name: str, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "run"
        command = [sys.executable, "-m", "textclass", "-q", "train", *JOBS[name](), "--seed", str(seed),
                   "--out", str(out), "--no-progress", "--no-report"]
        load, started = os.getloadavg(), time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
        metrics = json.loads((out / "metrics.json").read_text())
        config = json.loads((out / "config.json").read_text())
    return {"job": name, "seed": seed, "command": " ".join(command[1:]).replace(str(out), "RUN"),
            "seconds": round(seconds, 1), "loadavg_before": [round(x, 2) for x in load],
            "accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"],
            "temperature": config["calibration"]["temperature"], "calibration": metrics["calibration"],
            "temperature_fit": config["calibration"],
            "decision": config.get("decision"), "per_class": metrics["per_class"] if config.get("decision") else None,
            "coverage": metrics["coverage"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", default=",".join(JOBS), help=f"comma-separated, from {', '.join(JOBS)}")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (each changes the validation split)")
    parser.add_argument("--out", default=str(RESULTS / "calibration.json"))
    args = parser.parse_args()
    results = []
    for seed in map(int, args.seeds.split(",")):
        for name in args.jobs.split(","):
            results.append(run_job(name, seed))
            row = results[-1]
            cal = row["calibration"]
            print(f"{name} seed {seed}: acc {row['accuracy']:.4f}  T {row['temperature']:.3f}  ECE "
                  f"{cal['before']['ece']:.4f} -> {cal['after']['ece']:.4f}  ({row['seconds']} s)", flush=True)
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            Path(args.out).write_text(json.dumps({"machine": os.uname().nodename, "cpus": os.cpu_count(),
                                                  "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
