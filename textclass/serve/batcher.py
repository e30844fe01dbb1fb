"""Micro-batching: requests that arrive together share one forward pass, computed off the event loop.

One background thread owns the model. It takes the first waiting request, then keeps taking requests until
the batch holds ``max_batch_size`` texts or ``max_wait_ms`` have passed since that first one, runs a single
``predict_proba`` over all their texts, and hands each request its rows. While a pass runs, new requests
queue up, so under load batches fill without waiting; at low load a request waits at most ``max_wait_ms``.
A request is never split: one holding more than ``max_batch_size`` texts is a batch of its own.

The event loop only enqueues and awaits, so it keeps accepting and answering connections during a pass, and
the model is only ever used by one thread (what ``Predictor`` promises its implementations).
"""
from __future__ import annotations

import asyncio
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import ConfigError
from .predictor import Predictor


@dataclass
class Prediction:
    probabilities: np.ndarray  # [texts, labels]
    explanations: list[list[tuple[str, float]]] | None


@dataclass
class _Request:
    texts: list[str]
    explain: bool
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future = field(repr=False)


_STOP = object()


class MicroBatcher:
    """``await batcher.predict(texts)`` from any number of concurrent requests; ``start()`` and ``stop()``
    bracket its life (the app's lifespan). ``on_batch(n_texts)`` is called after every forward pass."""

    def __init__(self, predictor: Predictor, *, max_batch_size: int = 64, max_wait_ms: float = 2.0,
                 on_batch: Callable[[int], None] | None = None):
        if max_batch_size < 1:
            raise ConfigError(f"max_batch_size must be at least 1, got {max_batch_size}")
        if max_wait_ms < 0:
            raise ConfigError(f"max_wait_ms must be 0 or more, got {max_wait_ms}")
        self.predictor = predictor
        self.max_batch_size, self.max_wait = max_batch_size, max_wait_ms / 1000
        self.on_batch = on_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="textclass-batcher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Finishes the requests already queued, then ends the thread."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None

    async def predict(self, texts: list[str], *, explain: bool = False) -> Prediction:
        if self._thread is None:
            raise RuntimeError("the batcher is not running: call start() first")
        loop = asyncio.get_running_loop()
        request = _Request(list(texts), explain, loop, loop.create_future())
        self._queue.put(request)
        return await request.future

    # -- the worker thread ------------------------------------------------------------------------
    def _work(self) -> None:
        pending = None  # a request that did not fit the last batch starts the next one
        while True:
            first = pending if pending is not None else self._queue.get()
            pending = None
            if first is _STOP:
                return
            batch, size, stopping = [first], len(first.texts), False
            deadline = time.monotonic() + self.max_wait
            while size < self.max_batch_size:
                try:
                    item = self._queue.get(timeout=max(deadline - time.monotonic(), 0))
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                if size + len(item.texts) > self.max_batch_size:
                    pending = item
                    break
                batch.append(item)
                size += len(item.texts)
            self._run(batch)
            if stopping:
                self._queue.put(_STOP)  # after whatever is still queued behind it

    def _run(self, batch: list[_Request]) -> None:
        texts = [text for request in batch for text in request.texts]
        try:
            probabilities = self.predictor.predict_proba(texts)
        except Exception as exc:  # every request of the batch gets the error; the thread carries on
            for request in batch:
                request.loop.call_soon_threadsafe(_fail, request.future, exc)
            return
        if self.on_batch is not None:
            self.on_batch(len(texts))
        explanations, explain_error = self._explain(batch)
        start = 0
        for request in batch:
            n = len(request.texts)
            if request.explain and explain_error is not None:  # only the requests that asked share its failure
                request.loop.call_soon_threadsafe(_fail, request.future, explain_error)
            else:
                explained = [next(explanations) for _ in range(n)] if request.explain else None
                result = Prediction(probabilities[start : start + n], explained)
                request.loop.call_soon_threadsafe(_succeed, request.future, result)
            start += n

    def _explain(self, batch: list[_Request]):
        wanted = [text for request in batch if request.explain for text in request.texts]
        if not wanted:
            return iter(()), None
        try:
            return iter(self.predictor.explain(wanted)), None
        except Exception as exc:
            return iter(()), exc


# A client that disconnects cancels its request's future; setting a cancelled future would raise.
def _succeed(future: asyncio.Future, result) -> None:
    if not future.done():
        future.set_result(result)


def _fail(future: asyncio.Future, exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
