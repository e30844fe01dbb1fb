"""Shared by the benchmark scripts: run one measured job in a child process, describe the machine."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path


def run_child(cmd: list[str]) -> tuple[dict, float]:
    """Runs ``cmd`` (which prints one JSON line last) and returns (that JSON, the child's peak RSS in MB).

    os.wait4 gives the rusage of that child alone, so each job's peak memory is its own. The load average
    just before the job goes into the JSON as ``load_average_before``: on a shared machine it explains slow runs.
    """
    load_before = [round(x, 2) for x in os.getloadavg()]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"benchmark job failed (status {status}): {' '.join(cmd)}")
    result = json.loads(out.strip().splitlines()[-1])
    result.setdefault("load_average_before", load_before)
    return result, round(usage.ru_maxrss / 1024, 1)  # Linux: KiB


def machine() -> dict:
    info = {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()}
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
        info["cpu"] = model
    except (OSError, StopIteration):
        pass
    try:
        info["load_average_when_written"] = os.getloadavg()
    except OSError:
        pass
    return info


def write_results(path: str, payload: dict) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps({"machine": machine(), **payload}, indent=2) + "\n")
    print(f"wrote {path}")


def python_cmd(script: str, *args: str) -> list[str]:
    return [sys.executable, script, *args]
