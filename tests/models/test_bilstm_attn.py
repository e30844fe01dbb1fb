import numpy as np
import pytest
import torch

from textclass.batching import Batch
from textclass.classifier import TextClassifier
from textclass.errors import ConfigError
from textclass.models import MODELS
from textclass.models.bilstm_attn import BiLSTMAttentionClassifier

TINY = dict(embedding_dim=16, hidden_dim=16, attention_dim=16, num_layers=1, min_freq=1)


@pytest.fixture(scope="module")
def fitted(sentiment_task):
    return TextClassifier("bilstm_attn", epochs=8, lr=1e-2, batch_size=16, progress=False,
                          **TINY).fit(sentiment_task(400, 0))


def test_registered_under_versioned_name_and_alias():
    assert MODELS.canonical("bilstm_attn") == "bilstm_attn_v1"
    assert MODELS.get("bilstm_attn") is BiLSTMAttentionClassifier


def test_learns_a_separable_task(fitted, sentiment_task):
    assert fitted.evaluate(sentiment_task(200, 1))["accuracy"] >= 0.9


def test_save_load_round_trip_gives_identical_probabilities(fitted, tmp_path, sentiment_task):
    texts = [text for text, _ in sentiment_task(50, 2)] + ["good", "w1 bad"]
    loaded = TextClassifier.load(fitted.save(tmp_path / "run"))
    np.testing.assert_array_equal(loaded.predict_proba(texts), fitted.predict_proba(texts))
    assert loaded.config()["model"] == fitted.config()["model"]
    assert loaded.explain(texts[:3]) == fitted.explain(texts[:3])


def test_attention_weights_are_zero_on_padding_and_sum_to_one():
    torch.manual_seed(0)
    model = BiLSTMAttentionClassifier(vocab_size=30, num_classes=2, embedding_dim=8, hidden_dim=8,
                                      attention_dim=4).eval()
    lengths = torch.tensor([5, 2, 1])
    ids = torch.zeros(3, 5, dtype=torch.long)
    for row, n in enumerate(lengths):
        ids[row, :n] = torch.randint(2, 30, (int(n),))
    weights = model.attention_weights(Batch(ids, lengths))
    assert weights.shape == (3, 5)
    torch.testing.assert_close(weights.sum(1), torch.ones(3))
    assert (weights[ids == 0] == 0).all()
    assert (weights[ids != 0] > 0).all()
    assert weights[2, 0] == 1.0


def test_a_text_scores_the_same_alone_and_beside_longer_texts(fitted):
    alone = fitted.predict_proba(["w1 good"], batch_size=1)
    batched = fitted.predict_proba(["w1 good", " ".join(["w3"] * 40), "bad w2 w2"], batch_size=8)
    np.testing.assert_allclose(batched[0], alone[0], rtol=1e-5, atol=1e-6)


def test_explain_gives_each_token_its_weight_and_attends_to_the_signal(fitted):
    texts = ["w1 w2 good w3 w4", "w5 bad w6", "w7 unseenword"]
    explained = fitted.explain(texts)
    assert [[token for token, _ in tokens] for tokens in explained] == [
        ["w1", "w2", "good", "w3", "w4"], ["w5", "bad", "w6"], ["w7", "<unk>"]]
    for tokens in explained:
        assert sum(weight for _, weight in tokens) == pytest.approx(1.0, abs=1e-5)
    for tokens, signal in zip(explained[:2], ("good", "bad")):
        assert max(tokens, key=lambda tw: tw[1])[0] == signal


def test_explain_needs_an_attention_model(sentiment_task):
    clf = TextClassifier("cnn", epochs=1, embedding_dim=8, num_filters=4, min_freq=1, progress=False)
    clf.fit(sentiment_task(40, 0))
    with pytest.raises(ConfigError, match="bilstm_attn"):
        clf.explain(["good"])
