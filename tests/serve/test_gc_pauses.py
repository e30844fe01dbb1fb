"""The service freezes what it loaded before serving and reports every garbage-collector pause in /metrics."""
from __future__ import annotations

import gc

from textclass.serve.gc_pauses import GcPauseObserver


def test_observer_reports_each_collection_with_its_generation_until_stopped():
    seen = []
    observer = GcPauseObserver(lambda generation, seconds: seen.append((generation, seconds)))
    observer.start()
    observer.start()  # twice is still once
    try:
        gc.collect(2)
    finally:
        observer.stop()
    assert len([1 for generation, _ in seen if generation == 2]) == 1
    assert all(seconds >= 0 for _, seconds in seen)
    seen.clear()
    gc.collect(2)
    assert seen == [] and observer not in gc.callbacks


def test_serving_freezes_startup_objects_and_thaws_them_at_shutdown(ngram_run):
    from fastapi.testclient import TestClient

    from textclass.serve import create_app

    app = create_app(ngram_run)
    before = gc.get_freeze_count()
    with TestClient(app) as client:
        # The model and the libraries loaded before the server started are out of every collection's walk.
        assert gc.get_freeze_count() > before
        assert client.post("/v1/predict", json={"text": "simmer the sauce"}).status_code == 200
        gc.collect(2)
        text = client.get("/metrics").text
    lines = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
             if line and not line.startswith("#")}
    assert lines['textclass_gc_pause_seconds_count{generation="2"}'] >= 1
    assert lines['textclass_gc_pause_seconds_sum{generation="2"}'] > 0
    assert gc.get_freeze_count() == 0  # a process that goes on after the service collects them again
