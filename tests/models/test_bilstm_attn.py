import pytest
import torch

from textclass.batching import Batch
from textclass.classifier import TextClassifier
from textclass.errors import ConfigError
from textclass.models.bilstm_attn import BiLSTMAttentionClassifier


@pytest.fixture(scope="module")
def fitted(fitted_model):
    return fitted_model("bilstm_attn")


def test_explanations_survive_save_load(fitted, tmp_path, sentiment_task):
    texts = [text for text, _ in sentiment_task(3, 2)] + ["w1 unseenword"]
    assert TextClassifier.load(fitted.save(tmp_path / "run")).explain(texts) == fitted.explain(texts)


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
