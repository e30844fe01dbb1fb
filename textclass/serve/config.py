"""The service's settings: batching and request limits, one dataclass shared by the API and the command."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass

from ..errors import ConfigError


@dataclass(frozen=True)
class ServeConfig:
    max_batch_size: int = 64  # texts per forward pass
    max_wait_ms: float = 2.0  # how long the first request of a batch waits for company
    max_texts: int = 256  # texts per request
    max_text_bytes: int = 100_000  # UTF-8 bytes per text (an IMDB review averages 1.3 kB, the longest 14 kB)
    max_body_bytes: int = 1_000_000  # bytes per request body
    explain_max_texts: int = 16  # texts per request for which token weights may be asked

    def __post_init__(self):
        for name, value in asdict(self).items():
            if value < (0 if name == "max_wait_ms" else 1):
                raise ConfigError(f"{name} must be {'0 or more' if name == 'max_wait_ms' else 'at least 1'}, "
                                  f"got {value}")

    def to_dict(self) -> dict:
        return asdict(self)


def default_threads(workers: int = 1) -> int:
    """Torch threads per worker process: its share of the cores, less one for the event loop.

    The event loop (HTTP parsing, JSON, validation) is a busy Python thread of its own; a forward pass that
    also wanted every core would make the two fight over them and stretch every request's latency. Micro-batches
    are small (tens of texts) and each op ends in a barrier, so the share is capped at 4 (a choice, not a
    measurement: this project's machine has 2 cores). ``--threads`` overrides it.
    """
    return max(1, min(4, (os.cpu_count() or 1) // max(workers, 1) - 1))
