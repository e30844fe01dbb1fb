"""What every vocabulary-based model family promises (the transformer's own file checks the same for it)."""
import numpy as np
import pytest

from textclass.classifier import TextClassifier
from textclass.models import MODELS

from .conftest import TINY_MODELS

pytestmark = pytest.mark.parametrize("name", sorted(TINY_MODELS))


def test_plain_name_points_at_a_versioned_registration(name):
    assert MODELS.canonical(name) == f"{name}_v1"
    assert MODELS.get(name).registry_name == f"{name}_v1"


def test_learns_a_separable_task(name, fitted_model, sentiment_task):
    assert fitted_model(name).evaluate(sentiment_task(200, 1))["accuracy"] >= 0.9


def test_save_load_round_trip_gives_identical_probabilities(name, fitted_model, sentiment_task, tmp_path):
    fitted = fitted_model(name)
    texts = [text for text, _ in sentiment_task(50, 2)] + ["good", "w1 bad", "", "never seen words"]
    loaded = TextClassifier.load(fitted.save(tmp_path / "run"))
    np.testing.assert_array_equal(loaded.predict_proba(texts), fitted.predict_proba(texts))
    assert loaded.config() == fitted.config()


def test_a_text_scores_the_same_alone_and_beside_longer_texts(name, fitted_model):
    fitted = fitted_model(name)
    alone = fitted.predict_proba(["w1 good"], batch_size=1)
    batched = fitted.predict_proba(["w1 good", " ".join(["w3"] * 40), "bad w2 w2 w2 w2 w2"], batch_size=8)
    np.testing.assert_allclose(batched[0], alone[0], rtol=1e-5, atol=1e-6)
