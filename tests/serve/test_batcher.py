"""The micro-batcher with a fake predictor that records each forward pass and can be held inside one."""
from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from textclass.errors import ConfigError
from textclass.serve.batcher import MicroBatcher


class Recorder:
    """Records the texts of every call; while ``hold`` is clear, a call waits inside the model."""

    labels = ["a", "b"]
    explains = True

    def __init__(self):
        self.calls: list[list[str]] = []
        self.explained: list[list[str]] = []
        self.entered, self.hold = threading.Event(), threading.Event()
        self.hold.set()
        self.threads: set[str] = set()

    def predict_proba(self, texts):
        self.threads.add(threading.current_thread().name)
        self.calls.append(list(texts))
        self.entered.set()
        self.hold.wait(10)
        if "fail" in texts:
            raise ValueError("bad text")
        # Row i says which text it was for, so each request can check it got its own rows back.
        return np.array([[float(len(t)), 0.0] for t in texts])

    def explain(self, texts):
        self.explained.append(list(texts))
        if "unexplainable" in texts:
            raise RuntimeError("cannot explain")
        return [[(t, 1.0)] for t in texts]

    def metadata(self):
        return {}


async def _wait_for(event: threading.Event):
    while not event.is_set():
        await asyncio.sleep(0.001)


async def _until_queued(batcher: MicroBatcher, n: int):
    while batcher._queue.qsize() < n:
        await asyncio.sleep(0.001)


def run(coroutine):
    return asyncio.run(coroutine)


def test_concurrent_requests_share_one_forward_pass():
    model = Recorder()

    async def scenario():
        batcher = MicroBatcher(model, max_batch_size=16, max_wait_ms=20)
        batcher.start()
        model.hold.clear()
        first = asyncio.ensure_future(batcher.predict(["x"]))
        await _wait_for(model.entered)  # the model is busy with the first request ...
        rest = [asyncio.ensure_future(batcher.predict(texts)) for texts in (["yy"], ["zzz", "wwww"], ["vvvvv"])]
        await _until_queued(batcher, 3)  # ... while three more arrive
        model.hold.set()
        results = await asyncio.gather(first, *rest)
        batcher.stop()
        return results

    results = run(scenario())
    # Four requests, two passes: the three that queued during the first pass went through together.
    assert model.calls == [["x"], ["yy", "zzz", "wwww", "vvvvv"]]
    assert [r.probabilities[:, 0].tolist() for r in results] == [[1.0], [2.0], [3.0, 4.0], [5.0]]
    assert model.threads == {"textclass-batcher"}  # never the event loop's thread


def test_a_batch_never_exceeds_max_batch_size_and_requests_are_never_split():
    model = Recorder()

    async def scenario():
        batcher = MicroBatcher(model, max_batch_size=3, max_wait_ms=20)
        batcher.start()
        model.hold.clear()
        first = asyncio.ensure_future(batcher.predict(["0"]))
        await _wait_for(model.entered)
        rest = [asyncio.ensure_future(batcher.predict(texts))
                for texts in (["1", "2"], ["3", "4"], ["5"], ["6", "7", "8", "9"])]
        await _until_queued(batcher, 4)
        model.hold.set()
        await asyncio.gather(first, *rest)
        batcher.stop()

    run(scenario())
    assert model.calls == [["0"], ["1", "2"], ["3", "4", "5"], ["6", "7", "8", "9"]]


def test_max_batch_size_one_is_one_pass_per_request():
    model = Recorder()

    async def scenario():
        batcher = MicroBatcher(model, max_batch_size=1, max_wait_ms=20)
        batcher.start()
        results = await asyncio.gather(*(batcher.predict([str(i)]) for i in range(5)))
        batcher.stop()
        return results

    run(scenario())
    assert sorted(model.calls) == [[str(i)] for i in range(5)]


def test_a_failure_reaches_every_request_of_its_batch_and_the_worker_carries_on():
    model = Recorder()
    seen = []

    async def scenario():
        batcher = MicroBatcher(model, max_batch_size=8, max_wait_ms=20, on_batch=seen.append)
        batcher.start()
        model.hold.clear()
        first = asyncio.ensure_future(batcher.predict(["ok"]))
        await _wait_for(model.entered)
        doomed = [asyncio.ensure_future(batcher.predict(t)) for t in (["fail"], ["innocent"])]
        await _until_queued(batcher, 2)
        model.hold.set()
        await first
        outcomes = await asyncio.gather(*doomed, return_exceptions=True)
        after = await batcher.predict(["later"])
        batcher.stop()
        return outcomes, after

    outcomes, after = run(scenario())
    assert all(isinstance(o, ValueError) for o in outcomes)
    assert after.probabilities[0, 0] == 5.0
    assert seen == [1, 1]  # on_batch counts the passes that succeeded


def test_explanations_are_computed_in_the_same_pass_for_the_requests_that_ask():
    model = Recorder()

    async def scenario():
        batcher = MicroBatcher(model, max_batch_size=8, max_wait_ms=20)
        batcher.start()
        model.hold.clear()
        first = asyncio.ensure_future(batcher.predict(["0"]))
        await _wait_for(model.entered)
        plain = asyncio.ensure_future(batcher.predict(["p"]))
        explained = asyncio.ensure_future(batcher.predict(["e1", "e2"], explain=True))
        await _until_queued(batcher, 2)
        model.hold.set()
        await first
        results = await asyncio.gather(plain, explained)
        batcher.stop()
        return results

    plain, explained = run(scenario())
    assert model.explained == [["e1", "e2"]]
    assert plain.explanations is None and explained.explanations == [[("e1", 1.0)], [("e2", 1.0)]]


def test_a_failing_explanation_fails_only_the_requests_that_asked_for_one():
    model = Recorder()

    async def scenario():
        batcher = MicroBatcher(model, max_batch_size=8, max_wait_ms=20)
        batcher.start()
        model.hold.clear()
        first = asyncio.ensure_future(batcher.predict(["0"]))
        await _wait_for(model.entered)
        plain = asyncio.ensure_future(batcher.predict(["p"]))
        explained = asyncio.ensure_future(batcher.predict(["unexplainable"], explain=True))
        await _until_queued(batcher, 2)
        model.hold.set()
        await first
        results = await asyncio.gather(plain, explained, return_exceptions=True)
        batcher.stop()
        return results

    plain, explained = run(scenario())
    assert plain.probabilities[0, 0] == 1.0 and isinstance(explained, RuntimeError)


def test_stop_finishes_what_is_queued():
    model = Recorder()

    async def scenario():
        batcher = MicroBatcher(model, max_batch_size=1, max_wait_ms=0)
        batcher.start()
        model.hold.clear()
        pending = [asyncio.ensure_future(batcher.predict([str(i)])) for i in range(3)]
        await _wait_for(model.entered)
        stopping = threading.Thread(target=batcher.stop)
        stopping.start()
        model.hold.set()
        results = await asyncio.gather(*pending)
        stopping.join()
        return results

    assert len(run(scenario())) == 3 and len(model.calls) == 3


def test_settings_are_checked():
    with pytest.raises(ConfigError, match="max_batch_size"):
        MicroBatcher(Recorder(), max_batch_size=0)
    with pytest.raises(ConfigError, match="max_wait_ms"):
        MicroBatcher(Recorder(), max_wait_ms=-1)
