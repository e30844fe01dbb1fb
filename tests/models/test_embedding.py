import logging
import random

import numpy as np
import pytest
import torch

from textclass.classifier import TextClassifier
from textclass.errors import ConfigError
from textclass.models.cnn import CNNClassifier
from textclass.text import VocabEncoder
from textclass.text.vocabulary import Vocabulary

DIM = 8
SMALL = {"bilstm": dict(hidden_dim=8, num_layers=1), "bilstm_attn": dict(hidden_dim=8, attention_dim=4, num_layers=1),
         "cnn": dict(num_filters=8)}


def task(n: int = 120) -> list[tuple[str, str]]:
    rng = random.Random(0)
    pairs = []
    for _ in range(n):
        label = rng.choice(["pos", "neg"])
        words = rng.choices([f"w{i}" for i in range(12)], k=4) + ["good" if label == "pos" else "bad"]
        pairs.append((" ".join(words), label))
    return pairs


@pytest.fixture()
def vectors_file(tmp_path):
    """Vectors for 'good', 'bad' and w0..w5 (not w6..w11), at a scale unlike nn.Embedding's N(0, 1)."""
    rng = np.random.default_rng(0)
    words = ["good", "bad"] + [f"w{i}" for i in range(6)]
    table = {word: rng.normal(3.0, 0.01, DIM).astype(np.float32) for word in words}
    path = tmp_path / "toy.vec"
    path.write_text(f"{len(table)} {DIM}\n" + "".join(
        word + " " + " ".join(f"{v:.6f}" for v in vec) + "\n" for word, vec in table.items()), encoding="utf-8")
    return path, {word: np.round(vec, 6) for word, vec in table.items()}


def fit(model: str, path, **params) -> TextClassifier:
    return TextClassifier(model, epochs=2, lr=1e-2, batch_size=16, progress=False, embedding_dim=DIM, min_freq=1,
                          embeddings=str(path), **SMALL[model], **params).fit(task())


def rows(clf: TextClassifier, words) -> torch.Tensor:
    vocab = clf.encoder_.vocab
    return clf.model_.embedding.weight.detach()[[vocab.stoi[w] for w in words]]


@pytest.mark.parametrize("model", sorted(SMALL))
def test_frozen_vectors_stay_as_read_and_pad_stays_zero(model, vectors_file, caplog):
    path, table = vectors_file
    with caplog.at_level(logging.INFO, logger="textclass"):
        clf = fit(model, path, freeze_embeddings=True)
    expected = torch.tensor(np.stack([table["good"], table["w3"]]))
    torch.testing.assert_close(rows(clf, ["good", "w3"]), expected)
    assert not clf.model_.embedding.weight.requires_grad
    assert (clf.model_.embedding.weight[0] == 0).all()
    # 14 words besides <pad> and <unk>: good, bad, w0..w11; 8 of them are in the file.
    assert "embeddings: 57.1% of 14 vocabulary words found in toy.vec (8-d); 6 words initialised at random, frozen" \
        in caplog.text


@pytest.mark.parametrize("model", sorted(SMALL))
def test_fine_tuning_moves_the_vectors(model, vectors_file):
    path, table = vectors_file
    clf = fit(model, path)
    assert clf.model_.embedding.weight.requires_grad
    assert not torch.allclose(rows(clf, ["good"])[0], torch.tensor(table["good"]))


def test_missing_rows_start_at_the_found_vectors_scale(vectors_file):
    path, _ = vectors_file
    torch.manual_seed(0)
    model = CNNClassifier(vocab_size=400, num_classes=2, embedding_dim=DIM, embeddings=str(path))
    encoder = VocabEncoder()
    encoder.vocab = Vocabulary(["<pad>", "<unk>", "good", "bad"] + [f"x{i}" for i in range(396)])
    model.init_embeddings(encoder)
    random_rows = model.embedding.weight.detach()[4:]
    assert random_rows.mean().item() == pytest.approx(3.0, abs=0.05)
    assert random_rows.std().item() < 0.1


def test_saved_run_does_not_need_the_vectors_file(vectors_file, tmp_path):
    path, _ = vectors_file
    clf = fit("cnn", path)
    run = clf.save(tmp_path / "run")
    path.unlink()
    loaded = TextClassifier.load(run)
    texts = ["w1 good", "bad w9"]
    np.testing.assert_array_equal(loaded.predict_proba(texts), clf.predict_proba(texts))


def test_dimension_mismatch_says_which_flag_to_add(vectors_file):
    path, _ = vectors_file
    with pytest.raises(ConfigError, match="vectors are 8-d but embedding_dim is 16: set embedding_dim=8"):
        TextClassifier("cnn", embeddings=str(path), embedding_dim=16, progress=False).fit(task())


def test_freezing_without_vectors_is_a_config_error():
    with pytest.raises(ConfigError, match="freeze_embeddings needs pretrained vectors"):
        TextClassifier("cnn", freeze_embeddings=True, progress=False).fit(task())


def test_vectors_that_match_no_word_are_a_config_error(tmp_path):
    path = tmp_path / "other.txt"
    path.write_text("xyz " + " ".join(["0.5"] * DIM) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="none of the 14 vocabulary words has a vector"):
        fit("cnn", path)
