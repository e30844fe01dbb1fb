"""Training from a TextStream: the same model as from the same texts in memory, ids on disk only while fitting,
memory that does not grow with the data, and clear failures."""
from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest

from textclass import TextClassifier
from textclass.data import TextDataset
from textclass.data.stream import TextStream
from textclass.errors import ConfigError, DataError

NGRAM = dict(epochs=3, batch_size=16, progress=False, seed=0, num_buckets=1 << 16)


@pytest.fixture
def topic_csv(tmp_path, topics, writers):
    train, _ = topics
    return writers.csv(tmp_path / "train.csv", ["text", "label"], zip(train.texts, train.labels))


@pytest.mark.parametrize("model", ["ngram", "bilstm"])
def test_stream_fit_equals_fit_in_memory(topic_csv, topics, tiny_params, model):
    _, test = topics
    params = NGRAM if model == "ngram" else tiny_params
    streamed = TextClassifier(model, **params).fit(TextStream(topic_csv, chunk_size=37))
    in_memory = TextClassifier(model, **params).fit(TextStream(topic_csv).read())
    assert streamed.labels_ == in_memory.labels_
    assert streamed.data_summary_ == in_memory.data_summary_
    assert streamed.best_epoch_ == in_memory.best_epoch_
    np.testing.assert_allclose(streamed.predict_proba(test.texts), in_memory.predict_proba(test.texts), atol=1e-6)


def test_multi_label_stream_equals_fit_in_memory(tmp_path, multilabel_task, writers):
    pairs = multilabel_task(200, seed=3)
    path = writers.jsonl(tmp_path / "ml.jsonl", ({"text": t, "labels": y} for t, y in pairs))
    streamed = TextClassifier("ngram", **NGRAM).fit(TextStream(path, chunk_size=45))
    in_memory = TextClassifier("ngram", **NGRAM).fit(TextStream(path).read())
    assert streamed.multi_label and streamed.labels_ == in_memory.labels_
    np.testing.assert_array_equal(streamed.thresholds_, in_memory.thresholds_)
    texts = [t for t, _ in multilabel_task(30, seed=4)]
    np.testing.assert_allclose(streamed.predict_proba(texts), in_memory.predict_proba(texts), atol=1e-6)


def test_a_validation_stream_is_used_whole(tmp_path, topics, topic_csv, writers):
    _, test = topics
    valid = writers.csv(tmp_path / "valid.csv", ["text", "label"], zip(test.texts, test.labels))
    clf = TextClassifier("ngram", **NGRAM).fit(TextStream(topic_csv, chunk_size=50), TextStream(valid, chunk_size=7))
    assert clf.data_summary_ == {"train_texts": 240, "valid_texts": 60}
    # In-memory validation data of the same rows scores every epoch the same.
    same = TextClassifier("ngram", **NGRAM).fit(TextStream(topic_csv).read(), TextStream(valid).read())
    assert [row["valid_loss"] for row in clf.history_] == [row["valid_loss"] for row in same.history_]


def test_ids_live_in_work_dir_only_while_fitting(tmp_path, topic_csv):
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep.txt").write_text("the user's")
    seen = []
    clf = TextClassifier("ngram", **NGRAM)
    clf.fit(TextStream(topic_csv), work_dir=work,
            on_epoch_end=lambda row: seen.append({p.name: p.stat().st_size for p in work.rglob("*.ids")}))
    assert seen[0].keys() == {"train.ids", "valid.ids"} and min(seen[0].values()) > 0
    assert sorted(p.name for p in work.iterdir()) == ["keep.txt"]
    assert (work / "keep.txt").read_text() == "the user's"


def test_ids_are_removed_when_fit_fails(tmp_path, topic_csv):
    def stop(row):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        TextClassifier("ngram", **NGRAM).fit(TextStream(topic_csv), work_dir=tmp_path, on_epoch_end=stop)
    assert list(tmp_path.iterdir()) == [topic_csv]


class ShrinkingStream(TextStream):
    """Reads fewer rows on every pass after the first, as if the file were being rewritten meanwhile."""

    def chunks(self, multi_label=None):
        self.passes.append(1)
        for i, chunk in enumerate(super().chunks(multi_label)):
            if len(self.passes) == 1 or i == 0:
                yield chunk


def test_a_file_that_changes_between_passes_is_an_error(topic_csv):
    stream = ShrinkingStream(topic_csv, chunk_size=100)
    object.__setattr__(stream, "passes", [])
    with pytest.raises(DataError, match="changed while training read it"):
        TextClassifier("ngram", **NGRAM).fit(stream)


def test_augmentation_needs_texts_in_memory(topic_csv):
    with pytest.raises(ConfigError, match="augment"):
        TextClassifier("ngram", augment={"method": "eda"}, **NGRAM).fit(TextStream(topic_csv))


PEAK_OF_FIT = """
import sys, tracemalloc
from textclass import TextClassifier
from textclass.data.stream import TextStream
from textclass.text import ngram_encoder
ngram_encoder.COUNT_SLICE_IDS = 1 << 14  # its slices, like the chunks, are sized for real data: shrink both
path, streamed = sys.argv[1], sys.argv[2] == "stream"
data = TextStream(path, chunk_size=500) if streamed else TextStream(path).read()
tracemalloc.start()
TextClassifier("ngram", epochs=1, progress=False, num_buckets=1 << 12, word_ngrams=1, char_ngrams="off",
               calibrate=False).fit(data)
print(tracemalloc.get_traced_memory()[1])
"""


def _peak_bytes_of_fit(path, mode: str) -> int:
    """Peak bytes Python and NumPy allocate in a fit, in a fresh process (nothing cached by earlier tests)."""
    done = subprocess.run([sys.executable, "-c", PEAK_OF_FIT, str(path), mode], capture_output=True, text=True,
                          check=True)
    return int(done.stdout.split()[-1])


def test_memory_of_a_stream_fit_does_not_follow_the_number_of_texts(tmp_path):
    """Four times the rows: the in-memory fit's peak grows by more than the texts added; the stream's grows only
    by what it keeps per row (a label, a length, an offset, its place in the batch order: a few hundred bytes)."""
    rng = random.Random(0)
    words = [f"w{i}" for i in range(300)]
    paths = {}
    for rows in (2_000, 8_000):
        paths[rows] = tmp_path / f"{rows}.csv"
        with open(paths[rows], "w") as f:
            f.write("text,label\n")
            for i in range(rows):
                f.write(" ".join(rng.choices(words, k=150)) + f",{'ab'[i % 2]}\n")
    added_text_bytes = paths[8_000].stat().st_size - paths[2_000].stat().st_size
    stream = {rows: _peak_bytes_of_fit(path, "stream") for rows, path in paths.items()}
    whole = {rows: _peak_bytes_of_fit(path, "memory") for rows, path in paths.items()}
    assert whole[8_000] - whole[2_000] > added_text_bytes, (stream, whole)
    assert (stream[8_000] - stream[2_000]) / 6_000 < 500, (stream, whole)


class Stop(Exception):
    pass


def test_a_stream_training_interrupted_resumes_to_the_same_weights(topic_csv, tmp_path):
    import torch

    from textclass.training import Checkpointer

    settings = dict(NGRAM, epochs=3, members=2, char_ngrams="off", lr=0.3, seed=4)
    reference = TextClassifier("ngram", **settings).fit(TextStream(topic_csv, chunk_size=50))

    def interrupt(row):
        if row["epoch"] == 2:
            raise Stop

    with pytest.raises(Stop):
        TextClassifier("ngram", **settings).fit(TextStream(topic_csv, chunk_size=50), on_epoch_end=interrupt,
                                                checkpoints=Checkpointer(tmp_path / "ck", every_steps=2))
    resumed = TextClassifier("ngram", **settings).fit(TextStream(topic_csv, chunk_size=50),
                                                      checkpoints=Checkpointer(tmp_path / "ck", resume=True))
    for name, tensor in reference.model_.state_dict().items():
        assert torch.equal(tensor, resumed.model_.state_dict()[name]), name
