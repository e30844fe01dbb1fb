"""Why textclass does not use PackedSequence for its BiLSTMs: one training step (forward + backward) of
the tutorial's configuration on one batch, three ways.

    python benchmarks/bench_lstm_kernels.py --threads 2

    nn.LSTM padded      fused kernel, reads padding (the tutorial's defect)
    nn.LSTM packed      pack_padded_sequence: exact, but leaves the fused kernel on CPU
    LengthAwareLSTM     textclass: exact, per-direction fused LSTMs over per-text-reversed input
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

sys.path.insert(0, str(Path(__file__).parent))
from common import write_results  # noqa: E402

from textclass.models.recurrent import LengthAwareLSTM  # noqa: E402


def step_seconds(step, repeats: int) -> list[float]:
    step()  # warm-up: allocator and kernel selection
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--max-len", type=int, default=256)
    p.add_argument("--out", default="benchmarks/results/lstm_kernels.json")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    # IMDB-like lengths in a length-bucketed batch: most texts hit max_len, the rest are close to it.
    lengths = torch.randint(args.max_len * 3 // 4, args.max_len + 1, (args.batch,))
    x = torch.randn(args.batch, args.max_len, 128, requires_grad=True)
    lstm = nn.LSTM(128, 256, num_layers=2, bidirectional=True, batch_first=True, dropout=0.5)
    ours = LengthAwareLSTM(128, 256, num_layers=2, dropout=0.5, bidirectional=True)
    steps = {
        "nn.LSTM padded": lambda: lstm(x)[0].sum().backward(),
        "nn.LSTM packed": lambda: lstm(pack_padded_sequence(x, lengths, batch_first=True,
                                                            enforce_sorted=False))[1][0].sum().backward(),
        "LengthAwareLSTM": lambda: ours(x, lengths)[0].sum().backward(),
    }
    results = {}
    for name, step in steps.items():
        times = step_seconds(step, args.repeats)
        results[name] = {"median_s": round(statistics.median(times), 4), "min_s": round(min(times), 4),
                         "max_s": round(max(times), 4)}
        print(f"{name:16s} median {results[name]['median_s']:.3f} s per step", flush=True)
    write_results(args.out, {"args": vars(args), "results": results})


if __name__ == "__main__":
    main()
