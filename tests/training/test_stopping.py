import pytest
import torch
from torch import nn

from textclass.training import EarlyStopping


def test_keeps_the_best_value_and_counts_epochs_without_gain():
    stopping = EarlyStopping("max", patience=2)
    assert stopping.update(0.5, 1.0, epoch=1) == (True, False)
    assert stopping.update(0.7, 0.9, epoch=2) == (True, False)
    assert stopping.update(0.6, 0.8, epoch=3) == (False, False)
    assert stopping.update(0.65, 0.7, epoch=4) == (False, True)
    assert (stopping.best_epoch, stopping.best_value, stopping.stale) == (2, 0.7, 2)


def test_a_tie_goes_to_the_lower_validation_loss():
    stopping = EarlyStopping("max")
    stopping.update(1.0, 0.165, epoch=1)
    assert stopping.update(1.0, 0.022, epoch=2) == (True, False)
    assert stopping.update(1.0, 0.05, epoch=3) == (False, False)
    assert stopping.best_epoch == 2


def test_min_mode_and_no_patience_never_stops():
    stopping = EarlyStopping("min", patience=None)
    stopping.update(0.5, epoch=1)
    for epoch in range(2, 10):
        assert stopping.update(0.9, epoch=epoch) == (False, False)
    assert stopping.best_epoch == 1


def test_restores_the_weights_of_the_best_epoch():
    model = nn.Linear(2, 1)
    stopping = EarlyStopping("max")
    stopping.update(0.9, epoch=1, model=model)
    kept = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.add_(1.0)
    stopping.update(0.1, epoch=2, model=model)
    assert stopping.restore_best(model)
    assert torch.equal(model.weight, kept)


def test_state_dict_round_trip_decides_the_same():
    first = EarlyStopping("max", patience=3)
    for epoch, value in enumerate([0.5, 0.8, 0.7], start=1):
        first.update(value, epoch=epoch)
    second = EarlyStopping("max", patience=3)
    second.load_state_dict(first.state_dict())
    assert second.update(0.75, epoch=4) == first.update(0.75, epoch=4) == (False, False)
    assert second.update(0.7, epoch=5) == first.update(0.7, epoch=5) == (False, True)


def test_rejects_an_unknown_mode():
    with pytest.raises(ValueError):
        EarlyStopping("up")
