import pytest

from textclass.errors import ConfigError
from textclass.text.train_vectors import train_vectors
from textclass.text.vectors import load_vectors


def test_api_trains_on_texts_in_memory(tmp_path):
    pytest.importorskip("gensim")
    texts = ["the film was good", "the film was bad", "a good cast", "a bad plot"] * 10
    out = train_vectors(texts, tmp_path / "v.txt", dim=4, epochs=1, min_count=2, workers=1)
    vectors = load_vectors(out, ["film", "good", "cast", "missing"])
    assert vectors.found.tolist() == [True, True, True, False]
    assert vectors.dim == 4


def test_words_all_below_min_count(tmp_path):
    pytest.importorskip("gensim")
    with pytest.raises(ConfigError, match="no word occurs 5 times in the 2 texts: lower min_count=5"):
        train_vectors(["one two", "three"], tmp_path / "v.txt", workers=1)


@pytest.mark.parametrize("kwargs, message", [
    (dict(algorithm="glove"), "unknown algorithm 'glove'"),
    (dict(window=0), "window must be at least 1"),
])
def test_bad_settings(tmp_path, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        train_vectors(["a b"], tmp_path / "v.txt", **kwargs)


def test_no_texts(tmp_path):
    with pytest.raises(ConfigError, match="no texts"):
        train_vectors([], tmp_path / "v.txt")
