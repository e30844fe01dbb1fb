"""Garbage-collector pauses: kept out of the requests' way, and measured.

CPython's full collection (generation 2) walks every object the collector tracks. A loaded server holds about
300,000 of them (the imported code of torch, FastAPI and the rest, and the model) that live as long as the
process; under load a full collection came every few seconds and walked them all, stopping every thread for
140-240 ms on this project's 2-core machine. That was the micro-batched service's p99 (150 ms against a
p50 of 9 ms); BENCHMARKS.md has the experiment. ``freeze_startup_objects`` moves what exists once the model is
loaded into the collector's permanent generation, so later collections walk only what requests allocate.
"""
from __future__ import annotations

import gc
import time
from typing import Callable


def freeze_startup_objects() -> None:
    """Collects once (garbage frozen now would never be freed), then freezes every object that is left."""
    gc.collect()
    gc.freeze()


def unfreeze() -> None:
    """Hands the frozen objects back to the collector (at shutdown, so a process that goes on, such as a test
    run, collects them again)."""
    gc.unfreeze()


class GcPauseObserver:
    """Calls ``observe(generation, seconds)`` after every collection of this process, whichever thread ran it.

    Collections never overlap (the collector holds the GIL and is not re-entrant), so one start time is enough.
    """

    def __init__(self, observe: Callable[[int, float], None]):
        self.observe = observe
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.observe(info["generation"], time.perf_counter() - self._started)

    def start(self) -> None:
        if self not in gc.callbacks:
            gc.callbacks.append(self)

    def stop(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)
