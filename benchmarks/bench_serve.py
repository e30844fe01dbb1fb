"""Load test of `textclass serve`: N concurrent clients on loopback for a fixed time, with and without
micro-batching, and a soak that follows the server's memory.

For each configuration a fresh server is started (`python -m textclass serve RUN`, its own process), warmed
up, then driven by `wrk` (a C load generator, so the client costs little of the shared CPU; Debian package
`wrk`) with one single-text request per call, the texts cycling through a fixed sample of IMDB test reviews.
Reported: requests/s, latency percentiles (wrk's, over every request), errors (socket errors and non-2xx),
the mean batch size and the garbage-collector pauses (from the server's own /metrics), the server's RSS
sampled once a second, and the CPU time the server used per request (user + system): on a machine shared
with other jobs, throughput says how much CPU the server was given, CPU per request says what the server costs.

    TEXTCLASS_DATA=../shared/datasets python benchmarks/bench_serve.py --run runs/imdb --duration 30
    python benchmarks/bench_serve.py --run runs/imdb --soak 300 --out benchmarks/results/serve_soak.json

Configurations (``--configs``): "batched" is the server's defaults; "unbatched" is ``--max-batch-size 1``
(every request its own forward pass, still off the event loop); "batched-gc-unfrozen" is "batched" with
``gc.freeze`` made a no-op in the server process, the control that shows what freezing the startup objects
buys (gc_pauses.py; one worker only). ``--soak SECONDS`` runs "batched" alone for that long and stores the
RSS, texts served and load average of every second, with the RSS trend after the first minute. The machine's
load average is recorded before and after each configuration.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_results  # noqa: E402

CONFIGS = {  # name -> serve flags
    "batched": ["--max-batch-size", "64", "--max-wait-ms", "2"],
    "unbatched": ["--max-batch-size", "1", "--max-wait-ms", "0"],
    "batched-gc-unfrozen": ["--max-batch-size", "64", "--max-wait-ms", "2"],
}
# How each configuration's server process starts: the control runs the same command with gc.freeze disabled.
SERVER_PYTHON = {
    "batched-gc-unfrozen": ["-c", "import gc, sys; gc.freeze = lambda: None; from textclass.cli.main import main; "
                                  "sys.exit(main())"],
}

# wrk's Lua: each request takes the next body; done() prints one JSON line the script reads back.
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {%(bodies)s}
local counter = math.random(#bodies)
request = function()
  counter = counter %% #bodies + 1
  return wrk.format(nil, nil, nil, bodies[counter])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, "write": %%d, "status": %%d, ' ..
    '"timeout": %%d, "p50_us": %%d, "p90_us": %%d, "p99_us": %%d, "p999_us": %%d, "max_us": %%d, "mean_us": %%.1f}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
"""


def review_sample(n: int, seed: int) -> list[str]:
    from textclass.data import load_source

    texts = load_source("imdb", "test").texts
    return random.Random(seed).sample(texts, n)


def lua_bodies(texts: list[str]) -> str:
    bodies = []
    for text in texts:
        body = json.dumps({"text": text})
        if "]==]" in body:
            continue
        bodies.append(f"[==[{body}]==]")
    return ", ".join(bodies)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer /health in time")


class RssSampler(threading.Thread):
    """Once per ``interval`` seconds: the server's resident memory (its process and any worker children), how
    many texts it has predicted so far (its /metrics) and the machine's load average, so a stall or a leak
    shows where it happened and what else the machine was doing."""

    def __init__(self, pid: int, url: str, interval: float = 1.0):
        super().__init__(daemon=True)
        import psutil

        self.process, self.url, self.interval = psutil.Process(pid), url, interval
        self.samples: list[tuple[float, float, int, float]] = []  # seconds, RSS MB, texts so far, load average
        self.stopped = threading.Event()

    def processes(self):
        return [self.process, *self.process.children(recursive=True)]

    def rss_mb(self) -> float:
        return sum(p.memory_info().rss for p in self.processes()) / 2**20

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server's processes so far: what a request costs, whatever the load."""
        return sum(sum(p.cpu_times()[:2]) for p in self.processes())

    def run(self):
        start = time.monotonic()
        while not self.stopped.is_set():
            predicted = int(batch_stats(self.url)["texts"])
            self.samples.append((round(time.monotonic() - start, 1), round(self.rss_mb(), 1), predicted,
                                 round(os.getloadavg()[0], 2)))
            self.stopped.wait(self.interval)


def batch_stats(url: str) -> dict:
    """Forward passes and texts predicted so far, and the garbage-collector pauses per generation (count and
    seconds), from the server's /metrics."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
        text = response.read().decode()
    values = {}
    for key, name in (("texts", "textclass_batch_size_texts_sum"), ("passes", "textclass_batch_size_texts_count")):
        match = re.search(rf"^{name} (\S+)$", text, re.M)
        values[key] = float(match.group(1)) if match else 0.0
    for generation in (0, 1, 2):
        for kind in ("count", "sum"):
            match = re.search(rf'^textclass_gc_pause_seconds_{kind}{{generation="{generation}"}} (\S+)$', text, re.M)
            values[f"gc{generation}_{kind}"] = float(match.group(1)) if match else 0.0
    return values


def gc_pauses(before: dict, after: dict) -> dict:
    """Per generation: collections during the measurement and the seconds they stopped the server for."""
    return {str(g): {"collections": int(after[f"gc{g}_count"] - before[f"gc{g}_count"]),
                     "seconds": round(after[f"gc{g}_sum"] - before[f"gc{g}_sum"], 4)} for g in (0, 1, 2)}


def rss_trend(samples: list) -> dict:
    """RSS growth in MB per minute after the first minute (a least-squares line; the first minute holds the
    warm-up's allocations), and the RSS at one minute and at the end."""
    later = [(t, mb) for t, mb, *_ in samples if t >= 60]
    if len(later) < 2:
        return {"mb_per_minute_after_first": None}
    mean_t = sum(t for t, _ in later) / len(later)
    mean_mb = sum(mb for _, mb in later) / len(later)
    slope = sum((t - mean_t) * (mb - mean_mb) for t, mb in later) / sum((t - mean_t) ** 2 for t, _ in later)
    return {"mb_per_minute_after_first": round(slope * 60, 3), "mb_at_60s": later[0][1], "mb_at_end": later[-1][1]}


def run_wrk(url: str, script: Path, *, connections: int, threads: int, seconds: int) -> dict:
    wrk = subprocess.Popen(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "5s",
                            "-s", str(script), f"{url}/v1/predict"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    out = wrk.stdout.read()
    _, status, usage = os.wait4(wrk.pid, 0)  # wrk's own CPU time: a starved client explains a slow run too
    if status != 0:
        raise SystemExit(f"wrk failed (status {status}): {out}")
    line = next(line for line in out.splitlines() if line.startswith("WRKJSON "))
    raw = json.loads(line[len("WRKJSON "):])
    seconds_run = raw["duration_us"] / 1e6
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["status"] + raw["timeout"]
    return {
        "requests": raw["requests"], "seconds": round(seconds_run, 2),
        "requests_per_s": round(raw["requests"] / seconds_run, 1),
        "latency_ms": {key[:-3]: round(raw[key] / 1000, 2) for key in ("p50_us", "p90_us", "p99_us", "p999_us",
                                                                       "max_us", "mean_us")},
        "errors": errors, "errors_by_kind": {k: raw[k] for k in ("connect", "read", "write", "status", "timeout")},
        "client_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
    }


def bench_config(name: str, args, script: Path) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    if name in SERVER_PYTHON and args.workers != 1:
        raise SystemExit(f"{name} runs one worker only: the other workers' interpreters would not be patched")
    command = [sys.executable, *SERVER_PYTHON.get(name, ["-m", "textclass"]), "serve", args.run, "--port", str(port), "--workers",
               str(args.workers), "--log-level", "warning", *CONFIGS[name]]
    if args.threads:
        command += ["--threads", str(args.threads)]
    # The server's output goes to a file: a pipe nobody reads would fill up and stall the server mid-run.
    log = open(args.server_log, "a")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(url, server)
        run_wrk(url, script, connections=args.connections, threads=args.wrk_threads, seconds=args.warmup)
        before = batch_stats(url)
        load_before = [round(x, 2) for x in os.getloadavg()]
        sampler = RssSampler(server.pid, url)
        cpu_before = sampler.cpu_seconds()
        sampler.start()
        result = run_wrk(url, script, connections=args.connections, threads=args.wrk_threads, seconds=args.duration)
        sampler.stopped.set()
        sampler.join()
        cpu = sampler.cpu_seconds() - cpu_before
        after = batch_stats(url)
        rss = [mb for _, mb, *_ in sampler.samples]
        passes = after["passes"] - before["passes"]
        texts = after["texts"] - before["texts"]
        return {
            "config": name, "serve_flags": CONFIGS[name], "workers": args.workers, "connections": args.connections,
            "wrk_threads": args.wrk_threads, **result,
            "server_cpu_s": round(cpu, 2), "server_cores_used": round(cpu / result["seconds"], 2),
            "server_cpu_ms_per_request": round(1000 * cpu / result["requests"], 3) if result["requests"] else None,
            "forward_passes": int(passes), "mean_batch_size": round(texts / passes, 2) if passes else None,
            "gc_pauses": gc_pauses(before, after),
            "rss_mb": {"first": rss[0], "last": rss[-1], "max": max(rss), "min": min(rss), **rss_trend(sampler.samples)},
            "rss_series_columns": ["seconds", "rss_mb", "texts_served", "load_average_1min"],
            "rss_series": sampler.samples if args.keep_series else None,
            "load_average_before": load_before, "load_average_after": [round(x, 2) for x in os.getloadavg()],
        }
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True, help="run directory to serve (e.g. an ngram run on IMDB)")
    parser.add_argument("--configs", default="batched,unbatched", help=f"comma-separated: {', '.join(CONFIGS)}")
    parser.add_argument("--connections", type=int, default=16, help="concurrent clients (keep-alive connections)")
    parser.add_argument("--duration", type=int, default=30, help="measured seconds per configuration")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured seconds before each measurement")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--threads", type=int, help="server torch threads (default: the server's own choice)")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk's threads")
    parser.add_argument("--texts", type=int, default=500, help="IMDB test reviews cycled through as request texts")
    parser.add_argument("--keep-series", action="store_true", help="store every once-a-second sample (RSS, texts "
                                                                      "served, load average)")
    parser.add_argument("--soak", type=int, metavar="SECONDS",
                        help="the soak: 'batched' alone for SECONDS (300 for the issue's 5 minutes), every "
                             "second's sample stored")
    parser.add_argument("--out", default="benchmarks/results/serve.json")
    parser.add_argument("--server-log", default="/tmp/bench_serve_server.log", help="where the servers' output goes")
    args = parser.parse_args()
    if args.soak:
        args.configs, args.duration, args.keep_series = "batched", args.soak, True
    unknown = sorted(set(args.configs.split(",")) - set(CONFIGS))
    if unknown:
        parser.error(f"--configs: unknown {', '.join(unknown)}; choose from {', '.join(CONFIGS)}")
    if shutil.which("wrk") is None:
        raise SystemExit("this benchmark drives the server with wrk: apt-get install wrk")
    texts = review_sample(args.texts, seed=0)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "predict.lua"
        script.write_text(WRK_SCRIPT % {"bodies": lua_bodies(texts)})
        for name in args.configs.split(","):
            result = bench_config(name, args, script)
            print(json.dumps({k: v for k, v in result.items() if k != "rss_series"}), flush=True)
            results.append(result)
    write_results(args.out, {
        "run": args.run, "request": "one IMDB test review per request ({\"text\": ...}), default top_k",
        "texts": len(texts), "mean_text_chars": round(sum(map(len, texts)) / len(texts)),
        "command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]), "results": results,
    })


if __name__ == "__main__":
    main()
