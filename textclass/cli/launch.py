"""``--nproc N``: start the same command under torchrun with N processes on this machine."""
from __future__ import annotations

import subprocess
import sys

from ..errors import ConfigError


def without_nproc(argv: list[str]) -> list[str]:
    out, skip = [], False
    for token in argv:
        if skip:
            skip = False
        elif token == "--nproc":
            skip = True
        elif not token.startswith("--nproc="):
            out.append(token)
    return out


def relaunch(argv: list[str], nproc: int) -> int:
    """Runs ``textclass ARGV`` (without --nproc) as ``nproc`` torchrun workers; returns torchrun's status."""
    if nproc < 1:
        raise ConfigError(f"--nproc must be at least 1, got {nproc}")
    # --standalone: a rendezvous on this machine with a free port, so nothing else needs setting up.
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
               "-m", "textclass", *without_nproc(argv)]
    status = subprocess.run(command).returncode
    if status != 0:
        print(f"error: distributed training failed: torchrun exited with status {status}; the failing rank and "
              "its error are reported above", file=sys.stderr)
    return status
