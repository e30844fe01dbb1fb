"""Print the bench_models.py result files as one Markdown table (the rows BENCHMARKS.md quotes).

    python benchmarks/summarize.py benchmarks/results/cnn_cpu_full.json benchmarks/results/rnn_banking77_cpu.json
"""
from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

COLUMNS = ("file", "model", "data", "params", "train texts", "kept epoch", "valid acc", "test acc",
           "median s/epoch", "peak RSS MB", "load before")


def rows(path: Path):
    payload = json.loads(path.read_text())
    for result in payload.get("results", []):
        if not {"params", "test_accuracy", "epoch_seconds", "best_epoch"} <= set(result):
            continue  # another script's format
        params = {k: v for k, v in result["params"].items() if k != "pretrained"}
        kept = result["best_epoch"]
        valid = result["valid_accuracy"][kept - 1] if kept and result["valid_accuracy"] else float("nan")
        load = result.get("load_average_before")
        yield (path.name, result["model"], result["dataset"], json.dumps(params) if params else "defaults",
               f"{result['train_texts']:,}" + (f" (limit {result['limit']})" if result.get("limit") else ""),
               f"{kept} of {result['epochs_run']}", f"{100 * valid:.2f}%", f"{100 * result['test_accuracy']:.2f}%",
               f"{statistics.median(result['epoch_seconds']):.1f}", f"{result['peak_rss_mb']:,.0f}",
               f"{load[0]:.1f}" if load else "")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", type=Path)
    args = p.parse_args()
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + " --- |" * len(COLUMNS))
    for path in args.files:
        for row in rows(path):
            print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
