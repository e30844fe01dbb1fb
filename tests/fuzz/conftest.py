"""Property-based tests (Hypothesis) and fault tests, bounded in time.

Each test fixes its own ``max_examples``; the deadline is generous and guards against hangs, not slowness
(the shared CI machine can be loaded). ``pytest tests/fuzz --hypothesis-show-statistics`` prints how many
examples each target tried and how long they took; ``TEXTCLASS_FUZZ_SCALE=10`` tries ten times as many.
"""
import os
from datetime import timedelta

from hypothesis import HealthCheck, settings

FUZZ = dict(deadline=timedelta(seconds=10), suppress_health_check=[HealthCheck.too_slow])
SCALE = int(os.environ.get("TEXTCLASS_FUZZ_SCALE", "1"))


def bounded(max_examples: int):
    return settings(max_examples=max_examples * SCALE, **FUZZ)
