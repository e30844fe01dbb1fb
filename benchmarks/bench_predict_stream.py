"""Peak memory and throughput of `textclass predict RUN --input big.csv --output out.csv` by input size.

    textclass train --data imdb --out runs/imdb
    python benchmarks/bench_predict_stream.py --run runs/imdb --sizes-mb 20 100 1000

The inputs are CSV files (id,text) of IMDB test reviews repeated up to each size, written to --workdir (not the
repository). Each prediction runs as its own process; its peak RSS comes from os.wait4, its own alone.
``--baseline DIR`` also runs the same command with the textclass found in DIR (e.g. an export of an earlier
commit: ``git archive a245991 | tar -x -C /tmp/old``) on the sizes up to --baseline-max-mb.
"""
from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import write_results  # noqa: E402

from textclass.data import load_source  # noqa: E402

MB = 1024 * 1024


def build_input(path: Path, size_mb: int) -> dict:
    """IMDB test reviews, cycled, until the file reaches ``size_mb``; reuses a file already that size."""
    target = size_mb * MB
    if path.exists() and target <= path.stat().st_size < target + 64 * 1024:
        with open(path, "rb") as f:
            rows = sum(1 for _ in csv.reader(line.decode() for line in f)) - 1
        return {"rows": rows, "bytes": path.stat().st_size}
    reviews = load_source("imdb", "test").texts
    rows = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["id", "text"])
        while f.tell() < target:
            writer.writerow([rows, reviews[rows % len(reviews)]])
            rows += 1
    return {"rows": rows, "bytes": path.stat().st_size}


def measure(run: str, source: Path, out: Path, pythonpath: str | None) -> dict:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    cmd = [sys.executable, "-m", "textclass", "predict", run, "--input", str(source), "--output", str(out)]
    if out.exists():
        out.unlink()
    load_before = [round(x, 2) for x in os.getloadavg()]
    started = time.perf_counter()
    # Run from the work folder: `python -m` puts the current folder first on sys.path, before PYTHONPATH.
    proc = subprocess.Popen(cmd, env=env, cwd=out.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"failed (status {status}): {' '.join(cmd)}\n{err}")
    size = source.stat().st_size
    out.unlink()
    return {"peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "seconds": round(seconds, 1),
            "input_mb_per_s": round(size / MB / seconds, 2), "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
            "load_average_before": load_before}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", default="runs/imdb")
    p.add_argument("--sizes-mb", type=int, nargs="+", default=[20, 100, 1000])
    p.add_argument("--workdir", default="/tmp/textclass-bench-predict")
    p.add_argument("--baseline", metavar="DIR", help="a folder holding an earlier textclass package to compare")
    p.add_argument("--baseline-max-mb", type=int, default=100)
    p.add_argument("--out", default="benchmarks/results/predict_stream.json")
    args = p.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for size in args.sizes_mb:
        source = workdir / f"imdb_{size}mb.csv"
        entry = {"size_mb": size, **build_input(source, size)}
        entry["streaming"] = measure(args.run, source, workdir / "out.csv", None)
        texts_per_s = entry["rows"] / entry["streaming"]["seconds"]
        entry["streaming"]["texts_per_s"] = round(texts_per_s)
        print(size, "MB:", entry["streaming"], flush=True)
        if args.baseline and size <= args.baseline_max_mb:
            entry["baseline"] = measure(args.run, source, workdir / "out.csv", args.baseline)
            entry["baseline"]["texts_per_s"] = round(entry["rows"] / entry["baseline"]["seconds"])
            print(size, "MB baseline:", entry["baseline"], flush=True)
        results.append(entry)
    write_results(args.out, {"command": " ".join(sys.argv), "run": args.run, "baseline": args.baseline,
                             "results": results})


if __name__ == "__main__":
    main()
