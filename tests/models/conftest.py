import pytest

from textclass.classifier import TextClassifier

# Small enough to train in about a second, large enough to learn the one-cue sentiment task.
TINY_MODELS = {
    "ngram": dict(epochs=4, batch_size=16, num_buckets=1 << 16),
    "bilstm": dict(epochs=8, lr=1e-2, batch_size=16, embedding_dim=16, hidden_dim=16, num_layers=1, min_freq=1),
    "bilstm_attn": dict(epochs=8, lr=1e-2, batch_size=16, embedding_dim=16, hidden_dim=16, attention_dim=16,
                        num_layers=1, min_freq=1),
    "cnn": dict(epochs=8, lr=1e-2, batch_size=16, embedding_dim=16, num_filters=16, min_freq=1),
}


@pytest.fixture(scope="session")
def fitted_model(sentiment_task):
    """``fitted_model(name)``: that model trained on 400 sentiment-task texts; trained once per session."""
    cache = {}

    def get(name: str) -> TextClassifier:
        if name not in cache:
            cache[name] = TextClassifier(name, progress=False, **TINY_MODELS[name]).fit(sentiment_task(400, 0))
        return cache[name]

    return get
