"""Training throughput with 1 and 2 processes (torchrun, DDP with gloo on CPU), at the same global batch.

Every job is started by torchrun (one process too) and trains on a stratified sample of IMDB's training split with the model's defaults except the batch:
one process uses ``--global-batch``, N processes ``--global-batch / N`` each, so the steps are the same and only
the work per step is split. Throughput is training texts per second of the last epoch on rank 0 (validation
excluded); parallel efficiency = throughput(N) / (N * throughput(1)). For ``ngram`` the job also runs with the
embedding table's gradients dense (``--dense``: DDP all-reduces the whole table instead of the rows a batch
touched) to choose between gloo's sparse all-reduce and a dense fallback.

    TEXTCLASS_DATA=/work/shared/datasets python benchmarks/bench_distributed.py --models ngram,cnn
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_results  # noqa: E402

SETTINGS = {"ngram": {"limit": 10000, "epochs": 2, "global_batch": 256, "params": {}},
            "cnn": {"limit": 1000, "epochs": 2, "global_batch": 64, "params": {"max_len": 256, "patience": 0}}}


def worker(args) -> None:
    from textclass import TextClassifier
    from textclass.data import load_source, stratified_subsample
    from textclass.models.ngram import NgramClassifier
    from textclass.training import distributed

    group = distributed.init_from_environment("cpu")
    world = group.world if group else 1
    if args.dense:
        original = NgramClassifier.__init__

        def dense_init(self, *a, **k):
            original(self, *a, **k)
            self.embedding.sparse = False

        NgramClassifier.__init__ = dense_init
    setting = SETTINGS[args.model]
    train = stratified_subsample(load_source("imdb", "train"), setting["limit"], 0)
    started = time.perf_counter()
    clf = TextClassifier(args.model, epochs=setting["epochs"], batch_size=setting["global_batch"] // world,
                         progress=False, **setting["params"]).fit(train)
    if group is None or group.is_main:
        last = clf.history_[-1]
        print(json.dumps({"model": args.model, "processes": world, "dense": args.dense,
                          "texts_per_second": last["texts_per_second"], "epoch_seconds": last["seconds"],
                          "valid_accuracy": last["valid_accuracy"], "job_seconds": time.perf_counter() - started}))
    distributed.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="ngram,cnn")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--dense", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each job, interleaved; medians reported")
    parser.add_argument("--out", default="benchmarks/results/distributed_cpu.json")
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # one thread per process: two processes fill the two cores
    runs: dict[tuple, list[dict]] = {}
    jobs = [(model, processes, dense) for model in args.models.split(",")
            for processes, dense in [(1, False), (2, False)] + ([(2, True)] if model == "ngram" else [])]
    # Interleaved, so that a change in the machine's load falls on every configuration alike.
    for _ in range(args.repeats):
        for model, processes, dense in jobs:
            # One process is started by torchrun too: started directly, the same cnn job ran 2.7 times slower
            # here (28 against 81 texts/s, not explained), which would flatter the two-process figure.
            own = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}",
                   __file__, "--worker", "--model", model] + (["--dense"] if dense else [])
            load = [round(x, 2) for x in os.getloadavg()]
            out = subprocess.run(own, env=env, capture_output=True, text=True, check=True).stdout
            run = {**json.loads(out.strip().splitlines()[-1]), "load_average_before": load}
            print(run, flush=True)
            runs.setdefault((model, processes, dense), []).append(run)
    rows = []
    for (model, processes, dense), done in runs.items():
        rows.append({"model": model, "processes": processes, "dense": dense,
                     "texts_per_second": statistics.median(r["texts_per_second"] for r in done),
                     "valid_accuracy": done[0]["valid_accuracy"], "runs": done})
    for row in rows:
        base = next(r for r in rows if r["model"] == row["model"] and r["processes"] == 1)
        row["parallel_efficiency"] = round(row["texts_per_second"] / (row["processes"] * base["texts_per_second"]), 3)
    write_results(args.out, {"command": " ".join(sys.argv), "results": rows})


if __name__ == "__main__":
    main()
