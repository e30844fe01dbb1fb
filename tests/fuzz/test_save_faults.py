"""A save that dies at any point leaves the previous run complete and loadable (or the new one, once swapped
in), and the next save cleans up after it."""
import hashlib
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from textclass import ArtifactError, TextClassifier, artifact

PROBE = ["goal for the team", "bake the sauce", "stock market loan"]


def tree_digest(directory):
    return {p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def leftovers(parent):
    return sorted(p.name for p in parent.iterdir() if p.name.endswith((".partial", ".lock")) or ".old-" in p.name)


@pytest.fixture(scope="module")
def two_models(fitted, topics, tiny_params):
    """Two different classifiers: the run on disk (old) and the one being saved over it (new)."""
    new = TextClassifier("bilstm", **{**tiny_params, "seed": 1, "epochs": 1}).fit(topics[0])
    return fitted, new


class Crash(BaseException):
    """Stands for anything that ends a save: Ctrl-C, a full disk, a kill the process got no say in."""


STEPS = [("artifact", "write_json"), ("artifact", "save_model"), ("artifact", "_write_manifest"),
         ("artifact", "_exchange"), ("os", "replace"), ("os", "chmod")]


def instrument(monkeypatch, crash_at):
    """Count every file-system step of a save; raise Crash at step ``crash_at``. Returns the step log."""
    log = []
    for owner, name in STEPS:
        module = artifact if owner == "artifact" else os
        real = getattr(module, name)

        def step(*args, _real=real, _name=name, **kwargs):
            log.append(_name)
            if len(log) == crash_at:
                raise Crash(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, step)
    return log


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_a_save_crashing_at_each_step_leaves_a_complete_run(two_models, tmp_path, monkeypatch, exchange):
    """With an atomic exchange or without (not Linux: the old run is renamed aside, then put back if the new
    one did not arrive), the run is always complete after an exception at any step."""
    old, new = two_models
    if not exchange:
        monkeypatch.setattr(artifact, "_exchange", lambda a, b: False)
    reference = new.save(tmp_path / "reference")
    expected_new = tree_digest(reference)
    run = old.save(tmp_path / "run")
    expected_old = tree_digest(run)
    counted = old.save(tmp_path / "counted")
    with monkeypatch.context() as patch:
        steps = instrument(patch, crash_at=0)
        new.save(counted, overwrite=True)
    assert len(steps) >= 8, steps
    for k in range(1, len(steps) + 1):
        with monkeypatch.context() as patch:
            instrument(patch, crash_at=k)
            with pytest.raises(Crash):
                new.save(run, overwrite=True)
        assert tree_digest(run) in (expected_old, expected_new), f"crash at step {k} ({steps[k - 1]})"
        loaded = TextClassifier.load(run).predict_proba(PROBE)
        assert any(np.array_equal(loaded, clf.predict_proba(PROBE)) for clf in (old, new))
        assert leftovers(tmp_path) == [], f"crash at step {k} ({steps[k - 1]})"
        if tree_digest(run) == expected_new:  # the crash came after the swap: start again from the old run
            old.save(run, overwrite=True)


def test_a_save_killed_at_random_moments_leaves_a_complete_run(two_models, tmp_path):
    """A child process saves the two models over each other in a loop; it is killed (SIGKILL, no cleanup
    possible) after a random delay, ten times over."""
    old, new = two_models
    run = old.save(tmp_path / "run")
    allowed = {"old": old.predict_proba(PROBE), "new": new.predict_proba(PROBE)}
    rng = random.Random(0)
    for attempt in range(10):
        pid = os.fork()
        if pid == 0:  # the child: save forever, never return into pytest
            try:
                while True:
                    for clf in (new, old):
                        clf.save(run, overwrite=True)
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.0, 0.4))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        assert artifact.is_run(run), f"attempt {attempt}"
        proba = TextClassifier.load(run).predict_proba(PROBE)
        assert any(np.array_equal(proba, expected) for expected in allowed.values()), f"attempt {attempt}"
    old.save(run, overwrite=True)  # cleans the staging folders the killed processes left
    assert leftovers(tmp_path) == []


def test_a_kill_between_the_two_renames_is_undone_by_the_next_save(two_models, tmp_path):
    """Without an atomic exchange, a SIGKILL between moving the old run aside and moving the new one in leaves
    no run at the target: loading names where the previous run is, and the next save puts it back first."""
    old, new = two_models
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    retired = old.save(tmp_path / f".run.old-{dead.pid}")
    expected = tree_digest(retired)
    with pytest.raises(ArtifactError, match=f"previous run at {retired}"):
        TextClassifier.load(tmp_path / "run")
    with pytest.raises(artifact.RunExistsError):  # restored first, so it is a run that needs overwrite
        new.save(tmp_path / "run")
    assert tree_digest(tmp_path / "run") == expected
    assert leftovers(tmp_path) == []
