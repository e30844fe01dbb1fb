import numpy as np
import pytest
import torch

from textclass import TextClassifier
from textclass.batching import Batch
from textclass.errors import ConfigError
from textclass.explain import explain, explain_texts
from textclass.explain.ngram import feature_contributions

NGRAM = dict(epochs=4, batch_size=16, num_buckets=1 << 16, progress=False)
TINY = dict(epochs=8, lr=1e-2, batch_size=16, embedding_dim=16, min_freq=1, progress=False)


@pytest.fixture(scope="module")
def ngram(sentiment_task):
    # Character n-grams on and naive-Bayes weights on: every kind of feature and scaling is exercised.
    return TextClassifier("ngram", char_ngrams="2-4", nb_weights="on", **NGRAM).fit(sentiment_task(300, 0))


@pytest.fixture(scope="module")
def neural(sentiment_task):
    cache = {}

    def get(name, **params):
        if name not in cache:
            cache[name] = TextClassifier(name, **TINY, **params).fit(sentiment_task(300, 0))
        return cache[name]

    return get


TEXTS = ["w1 w2 good w3 good", "bad w4 ! w5's w6", "good"]


def test_ngram_contributions_and_bias_reconstruct_the_calibrated_probabilities(ngram):
    for text, proba in zip(TEXTS, ngram.predict_proba(TEXTS)):
        _, contributions, bias = feature_contributions(ngram, text)
        logits = contributions.sum(0) + bias
        np.testing.assert_allclose(np.exp(logits) / np.exp(logits).sum(), proba, rtol=1e-4, atol=1e-6)


def test_ngram_names_every_feature_and_token_weights_add_up(ngram):
    for explanation in explain_texts(ngram, TEXTS):
        assert explanation.method == "ngram-exact"
        names = [name for name, _ in explanation.features]
        assert not [name for name in names if name.startswith("#")], "a feature row was not matched to a name"
        total = sum(weight for _, weight in explanation.features)
        assert sum(weight for _, weight in explanation.tokens) == pytest.approx(total, abs=1e-6)
    first = explain_texts(ngram, [TEXTS[0]])[0]
    assert "good" in dict(first.features) and "<go" in dict(first.features)
    assert [token for token, _ in first.tokens] == ["w1", "w2", "good", "w3", "good"]
    # The cue carries the prediction: "good" outweighs every noise word.
    weights = dict(first.tokens)
    assert first.label == "pos" and weights["good"] > max(abs(weights[w]) for w in ("w1", "w2", "w3"))


def test_attention_weights_sum_to_one(neural):
    clf = neural("bilstm_attn", hidden_dim=16, attention_dim=16, num_layers=1)
    for explanation in explain_texts(clf, TEXTS):
        assert explanation.method == "attention"
        assert sum(weight for _, weight in explanation.tokens) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("name, params", [("bilstm", dict(hidden_dim=16, num_layers=1)), ("cnn", dict(num_filters=16))])
def test_integrated_gradients_point_at_the_cue_and_are_complete(neural, name, params):
    clf = neural(name, **params)
    text = "w1 w2 w3 bad w4 w5 w6"
    explanation = explain_texts(clf, [text])[0]
    assert explanation.method == "integrated-gradients" and explanation.label == "neg"
    tokens = [token for token, _ in explanation.tokens]
    weights = [weight for _, weight in explanation.tokens]
    assert tokens[int(np.argmax(weights))] == "bad"
    # Completeness: the attributions add up to the calibrated logit's change from the all-padding baseline.
    batch = Batch(ids=torch.tensor([clf.encoder_.vocab.ids(tokens)]), lengths=torch.tensor([len(tokens)]))
    baseline = Batch(ids=torch.full_like(batch.ids, clf._pad_id()), lengths=batch.lengths)
    cls = clf.labels_.index("neg")
    with torch.no_grad():
        change = float(clf.model_(batch)[0, cls] - clf.model_(baseline)[0, cls]) / clf.temperature_
    assert sum(weights) == pytest.approx(change, rel=0.1, abs=0.05)


def test_explain_returns_token_weight_lists(ngram):
    result = explain(ngram, ["good w1"])
    assert isinstance(result, list) and [token for token, _ in result[0]] == ["good", "w1"]
    with pytest.raises(TypeError, match="list of texts"):
        explain(ngram, "good")


def test_a_model_without_a_method_is_refused(ngram, monkeypatch):
    from textclass import explain as module

    monkeypatch.delitem(module.METHODS, "ngram_v1")
    with pytest.raises(ConfigError, match="no explanation method"):
        explain(ngram, ["good"])
