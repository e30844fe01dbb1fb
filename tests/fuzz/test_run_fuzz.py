"""Randomly damaged run files: loading gives the original predictions exactly, or an ArtifactError; never
another exception, a hang, or (for a run with a manifest) different predictions.

Runs saved before manifests existed cannot be verified: changed weight values there load and predict
differently (the load warns about it), so for them the property is only "a result or the project's error".
"""
import json
import shutil

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from textclass import TextClassifier, artifact
from textclass.errors import ArtifactError, TextclassError

from .conftest import bounded

PROBE = ["goal for the team", "bake the sauce", "", "stock market loan " * 30, "nothing known here \ud800"]
JSON_VALUES = [None, -1, 0, 1, 10**12, 1.5, float("inf"), "x", "", [], {}, [1], {"a": 1}, True, "\ud800", ["a", "a"]]


@pytest.fixture(scope="module")
def runs(fitted, topics, tmp_path_factory):
    """name -> (run folder, its predictions on PROBE)."""
    root = tmp_path_factory.mktemp("fuzz-runs")
    ngram = TextClassifier("ngram", epochs=1, progress=False, seed=0).fit(topics[0])
    made = {}
    for name, clf in (("bilstm", fitted), ("ngram", ngram)):
        made[name] = (clf.save(root / name), clf.predict_proba(PROBE))
    return made


def json_paths(node, prefix=()):
    yield prefix
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        yield from json_paths(child, prefix + (key,))


def mutate(path, kind, where, blob, bit):
    data = bytearray(path.read_bytes())
    if kind == "json" and path.suffix == ".json":
        try:
            tree = json.loads(data)
        except ValueError:
            return
        paths = list(json_paths(tree))
        chosen = paths[where % len(paths)]
        value = JSON_VALUES[bit % len(JSON_VALUES)]
        if not chosen:
            tree = value
        else:
            parent = tree
            for key in chosen[:-1]:
                parent = parent[key]
            parent[chosen[-1]] = value
        path.write_text(json.dumps(tree))
        return
    at = where % (len(data) + 1)
    if kind == "flip" and data:
        data[at % len(data)] ^= 1 << bit
    elif kind == "truncate":
        del data[at:]
    elif kind == "replace":
        data[at:at + len(blob)] = blob
    elif kind == "append":
        data += blob
    path.write_bytes(bytes(data))


damage = dict(which=st.integers(0, 1000), kind=st.sampled_from(["flip", "truncate", "replace", "append", "json"]),
              where=st.integers(0, 2**31), blob=st.binary(min_size=1, max_size=16), bit=st.integers(0, 15))


@pytest.mark.parametrize("name", ["bilstm", "ngram"])
@pytest.mark.parametrize("verified", [True, False], ids=["manifest", "no-manifest"])
@bounded(100)
@given(**damage)
def test_damaged_runs_load_identically_or_fail_clearly(runs, tmp_path_factory, name, verified, which, kind, where,
                                                       blob, bit):
    original, expected = runs[name]
    copy = tmp_path_factory.getbasetemp() / f"fuzz-{name}-{verified}"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(original, copy)
    if not verified:
        (copy / artifact.MANIFEST).unlink()
        config = json.loads((copy / "config.json").read_text())
        del config["manifest"]
        (copy / "config.json").write_text(json.dumps(config))
    files = sorted(p for p in copy.rglob("*") if p.is_file())
    mutate(files[which % len(files)], kind, where, blob, bit % 8 if kind == "flip" else bit)
    try:
        proba = TextClassifier.load(copy).predict_proba(PROBE)
    except ArtifactError:
        return
    except TextclassError:
        assert not verified, "a verified run must fail with ArtifactError"
        return
    if verified:
        assert np.array_equal(proba, expected)
    else:
        assert proba.shape == expected.shape
