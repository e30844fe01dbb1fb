import logging

import numpy as np
import pytest
import torch

from textclass.batching import EncodedSplit
from textclass.errors import ConfigError
from textclass.models.bilstm import BiLSTMClassifier
from textclass.text.ragged import RaggedIds
from textclass.training import TrainingConfig, predict_logits, train_model
from textclass.training import loop

VOCAB = 24


def keyword_split(n: int, seed: int) -> EncodedSplit:
    """Class c texts hold the keyword id 2 + c somewhere among random filler ids (5..23)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    seqs = []
    for label in labels:
        seq = rng.integers(5, VOCAB, size=rng.integers(2, 10)).tolist()
        seq.insert(int(rng.integers(0, len(seq) + 1)), 2 + int(label))
        seqs.append(seq)
    return EncodedSplit(RaggedIds.from_lists(seqs), labels.astype(np.int64))


TRAIN, VALID = keyword_split(150, 0), keyword_split(60, 1)


def new_model(seed=0, **kwargs) -> BiLSTMClassifier:
    torch.manual_seed(seed)
    return BiLSTMClassifier(vocab_size=VOCAB, num_classes=3, **{"embedding_dim": 8, "hidden_dim": 8,
                                                               "num_layers": 1, **kwargs})


def config(**kwargs) -> TrainingConfig:
    return TrainingConfig(**{"epochs": 3, "batch_size": 16, "lr": 0.02, "device": "cpu", "progress": False,
                             **kwargs})


def state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def scripted_validation(monkeypatch, scores, key="accuracy"):
    """Validation returns the given scores epoch by epoch; the weights at each validation are recorded."""
    snapshots = []

    def fake(model, split, batch_size, pad_id, device, objective=None):
        snapshots.append(state(model))
        value = scores[len(snapshots) - 1]
        return {"loss": 1.0, "accuracy": 0.5, "macro_f1": 0.5, key: value}

    monkeypatch.setattr(loop, "validation_scores", fake)
    return snapshots


def test_learns_a_separable_task():
    model = new_model()
    result = train_model(model, TRAIN, VALID, config(epochs=6))
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    assert max(row["valid_accuracy"] for row in result.history) >= 0.9
    logits = predict_logits(model, VALID, 32)
    assert (logits.argmax(1) == VALID.labels).mean() >= 0.9


def test_keeps_the_best_validation_epoch_not_the_last(monkeypatch):
    snapshots = scripted_validation(monkeypatch, [0.5, 0.9, 0.6, 0.7])
    model = new_model()
    result = train_model(model, TRAIN, VALID, config(epochs=4))
    assert result.best_epoch == 2 and not result.stopped_early
    assert [row["valid_accuracy"] for row in result.history] == [0.5, 0.9, 0.6, 0.7]
    assert same_weights(state(model), snapshots[1])
    assert not same_weights(snapshots[1], snapshots[3])  # training did move on after epoch 2


def test_ties_keep_the_earlier_epoch(monkeypatch):
    snapshots = scripted_validation(monkeypatch, [0.8, 0.8, 0.8])
    model = new_model()
    assert train_model(model, TRAIN, VALID, config(epochs=3)).best_epoch == 1
    assert same_weights(state(model), snapshots[0])


def test_monitor_loss_keeps_the_lowest(monkeypatch):
    snapshots = scripted_validation(monkeypatch, [0.9, 0.4, 0.7], key="loss")
    model = new_model()
    result = train_model(model, TRAIN, VALID, config(epochs=3, monitor="loss"))
    assert result.best_epoch == 2
    assert same_weights(state(model), snapshots[1])


def test_kept_weights_reproduce_the_kept_epochs_validation_scores():
    model = new_model()
    result = train_model(model, TRAIN, VALID, config(epochs=4, lr=0.05))
    best = result.history[result.best_epoch - 1]
    assert best["valid_accuracy"] == max(row["valid_accuracy"] for row in result.history)
    again = loop.validation_scores(model, VALID, config().batch_size, 0, torch.device("cpu"))
    assert again["accuracy"] == best["valid_accuracy"]
    assert again["loss"] == pytest.approx(best["valid_loss"], abs=1e-6)


def test_patience_stops_early(monkeypatch):
    scripted_validation(monkeypatch, [0.5, 0.6, 0.55, 0.58, 0.99, 0.99])
    model = new_model()
    result = train_model(model, TRAIN, VALID, config(epochs=6, patience=2))
    assert result.stopped_early
    assert len(result.history) == 4  # epochs 3 and 4 did not beat epoch 2
    assert result.best_epoch == 2


@pytest.mark.parametrize("patience", [None, 0])
def test_without_patience_every_epoch_runs(monkeypatch, patience):
    scripted_validation(monkeypatch, [0.9, 0.1, 0.1, 0.1])
    result = train_model(new_model(), TRAIN, VALID, config(epochs=4, patience=patience))
    assert len(result.history) == 4 and not result.stopped_early


def test_without_validation_patience_is_off_and_the_log_says_so(caplog):
    with caplog.at_level(logging.WARNING, logger="textclass"):
        result = train_model(new_model(), TRAIN, None, config(epochs=2, patience=1))
    assert len(result.history) == 2 and not result.stopped_early
    assert "all 2 epochs run and the last is kept" in caplog.text


def test_without_validation_the_last_epoch_is_kept():
    model = new_model()
    result = train_model(model, TRAIN, None, config(epochs=2))
    assert result.best_epoch == 2
    assert not any(key.startswith("valid_") for key in result.history[-1])


def test_history_rows():
    result = train_model(new_model(), TRAIN, VALID, config(epochs=2))
    assert [row["epoch"] for row in result.history] == [1, 2]
    for row in result.history:
        assert {"train_loss", "train_accuracy", "seconds", "texts_per_second", "lr", "valid_loss",
                "valid_accuracy", "valid_macro_f1"} <= set(row)
        assert 0 <= row["train_accuracy"] <= 1 and row["texts_per_second"] > 0


def test_epoch_lines_are_logged(caplog):
    with caplog.at_level(logging.INFO, logger="textclass"):
        train_model(new_model(), TRAIN, VALID, config(epochs=2))
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("epoch 2/2  train loss") and "valid loss" in line for line in lines)
    assert any(line.startswith("kept epoch") for line in lines)


def test_seeded_runs_give_identical_weights():
    def run(seed):
        model = new_model(dropout=0.5)  # dropout draws random numbers too
        train_model(model, TRAIN, VALID, config(epochs=2, seed=seed))
        return state(model)

    first = run(0)
    assert same_weights(first, run(0))
    assert not same_weights(first, run(1))


def test_gradients_are_clipped_at_one_by_default(monkeypatch):
    norms = []
    real = torch.nn.utils.clip_grad_norm_

    def spy(parameters, max_norm, *args, **kwargs):
        norms.append(max_norm)
        return real(parameters, max_norm, *args, **kwargs)

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", spy)
    train_model(new_model(), TRAIN, None, config(epochs=1))
    assert norms and set(norms) == {1.0}
    norms.clear()
    train_model(new_model(), TRAIN, None, config(epochs=1, clip_grad_norm=None))
    assert norms == []


def test_predict_logits_are_in_split_order_and_batch_independent():
    model = new_model()
    train_model(model, TRAIN, None, config(epochs=1))
    model.eval()
    whole = predict_logits(model, VALID, 7)
    assert whole.shape == (len(VALID), 3) and whole.dtype == np.float32
    for i in (0, 13, 59):
        single = predict_logits(model, EncodedSplit(RaggedIds.from_lists([VALID.ids[i].tolist()])), 1)
        np.testing.assert_allclose(single[0], whole[i], rtol=0, atol=1e-5)


@pytest.mark.parametrize("kwargs, match", [
    ({"monitor": "recall"}, "monitor"),
    ({"epochs": 0}, "epochs"),
    ({"batch_size": 0}, "batch_size"),
    ({"lr": 0.0}, "lr"),
    ({"lr": -1e-3}, "lr"),
    ({"patience": -1}, "patience"),
])
def test_config_rejects_bad_values(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        TrainingConfig(**kwargs)


def test_defaults_are_the_tutorials():
    cfg = TrainingConfig()
    assert (cfg.epochs, cfg.batch_size, cfg.lr, cfg.clip_grad_norm) == (5, 64, 1e-3, 1.0)
