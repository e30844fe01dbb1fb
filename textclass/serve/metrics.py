"""Prometheus metrics of one app: requests, latency, batch sizes, prediction errors, garbage-collector pauses.

Each app has its own registry, so several apps in one process (tests) never share counts. With several
worker processes (``--workers``), prometheus-client's multiprocess mode is on (``PROMETHEUS_MULTIPROC_DIR``,
set by ``textclass serve``): every worker writes its values to files there and ``/metrics`` sums them, so a
scrape sees the whole server whichever worker answers it.
"""
from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess

# Latency buckets in seconds, from a cached answer to a slow long-text batch.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
# Garbage-collector pauses in seconds: a young collection takes well under a millisecond, a full one over the
# whole heap of a loaded server a tenth of a second or more (see gc_pauses.py).
GC_PAUSE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class ServiceMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self):
        self.registry = CollectorRegistry()
        self.requests = Counter("textclass_requests", "HTTP requests by endpoint and status code",
                                ("endpoint", "method", "status"), registry=self.registry)
        self.latency = Histogram("textclass_request_latency_seconds", "Time from request to response, by endpoint",
                                 ("endpoint",), buckets=LATENCY_BUCKETS, registry=self.registry)
        self.batch_size = Histogram("textclass_batch_size_texts", "Texts per forward pass of the micro-batcher",
                                    buckets=BATCH_BUCKETS, registry=self.registry)
        self.texts = Counter("textclass_texts_predicted", "Texts classified", registry=self.registry)
        self.errors = Counter("textclass_prediction_errors", "Requests whose prediction raised an error, by type",
                              ("type",), registry=self.registry)
        self.gc_pause = Histogram("textclass_gc_pause_seconds", "Garbage-collector pauses of the server, by "
                                  "generation (every thread waits while one runs)", ("generation",),
                                  buckets=GC_PAUSE_BUCKETS, registry=self.registry)

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(endpoint, method, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)

    def observe_batch(self, n_texts: int) -> None:
        self.batch_size.observe(n_texts)
        self.texts.inc(n_texts)

    def observe_gc_pause(self, generation: int, seconds: float) -> None:
        self.gc_pause.labels(str(generation)).observe(seconds)

    def render(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            combined = CollectorRegistry()
            multiprocess.MultiProcessCollector(combined)
            return generate_latest(combined)
        return generate_latest(self.registry)
