import math

import pytest
import torch

from textclass.errors import ConfigError
from textclass.training import SCHEDULES
from textclass.training.schedules import build_schedule

BASE_LR = 0.1


def lrs(name, total_steps, warmup_steps=0, steps=None):
    """Learning rate used at each optimizer step 0..steps-1 (the scheduler steps after each)."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=BASE_LR)
    scheduler, per_batch = build_schedule(name, optimizer, total_steps=total_steps, warmup_steps=warmup_steps,
                                          lr=BASE_LR)
    assert per_batch
    seen = []
    for _ in range(total_steps if steps is None else steps):
        seen.append(optimizer.param_groups[0]["lr"] / BASE_LR)
        optimizer.step()
        scheduler.step()
    return seen, optimizer.param_groups[0]["lr"] / BASE_LR


def test_linear_warmup_then_decay():
    seen, after = lrs("linear", total_steps=10, warmup_steps=2)
    assert seen == pytest.approx([0.5, 1.0, 1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125])
    assert after == pytest.approx(0.0)


def test_linear_without_warmup_starts_at_full_rate():
    seen, after = lrs("linear", total_steps=4)
    assert seen == pytest.approx([1.0, 0.75, 0.5, 0.25])
    assert after == pytest.approx(0.0)


def test_cosine_endpoints_and_midpoint():
    seen, after = lrs("cosine", total_steps=8)
    assert seen[0] == pytest.approx(1.0)
    assert seen[4] == pytest.approx(0.5)
    assert after == pytest.approx(0.0, abs=1e-12)
    assert all(a > b for a, b in zip(seen, seen[1:]))
    assert seen == pytest.approx([0.5 * (1 + math.cos(math.pi * s / 8)) for s in range(8)])


def test_cosine_with_warmup():
    seen, after = lrs("cosine", total_steps=10, warmup_steps=4)
    assert seen[:4] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert seen[4] == pytest.approx(1.0)
    assert seen[7] == pytest.approx(0.5)
    assert after == pytest.approx(0.0, abs=1e-12)


def test_constant_with_and_without_warmup():
    assert lrs("constant", total_steps=5)[0] == pytest.approx([1.0] * 5)
    assert lrs("constant", total_steps=5, warmup_steps=2)[0] == pytest.approx([0.5, 1.0, 1.0, 1.0, 1.0])


def test_past_the_end_the_rate_stays_at_zero():
    seen, _ = lrs("linear", total_steps=4, steps=7)
    assert seen[4:] == pytest.approx([0.0, 0.0, 0.0])


def test_plateau_is_stepped_per_epoch():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=BASE_LR)
    scheduler, per_batch = build_schedule("plateau", optimizer, total_steps=10, lr=BASE_LR, mode="max")
    assert not per_batch
    for value in (0.5, 0.5, 0.5):  # no improvement for more than `patience` epochs: the rate is cut
        scheduler.step(value)
    assert optimizer.param_groups[0]["lr"] < BASE_LR


def test_unknown_name_lists_the_known_ones():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=BASE_LR)
    with pytest.raises(ConfigError) as info:
        build_schedule("exponential", optimizer, total_steps=10, lr=BASE_LR)
    assert "exponential" in str(info.value)
    assert all(name in str(info.value) for name in SCHEDULES)


@pytest.mark.parametrize("name, warmup", [("linear", 10), ("cosine", 12), ("linear", -1), ("constant", -1)])
def test_bad_warmup_is_a_config_error(name, warmup):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=BASE_LR)
    with pytest.raises(ConfigError, match="warmup"):
        build_schedule(name, optimizer, total_steps=10, warmup_steps=warmup, lr=BASE_LR)


def test_onecycle_peaks_at_the_end_of_warmup_then_anneals_to_near_zero():
    seen, _ = lrs("onecycle", total_steps=20, warmup_steps=5)
    assert seen.index(max(seen)) == 5
    assert max(seen) == pytest.approx(1.0)
    assert seen[0] < 0.1  # starts at max_lr / div_factor
    assert all(a < b for a, b in zip(seen[:5], seen[1:6]))
    assert all(a > b for a, b in zip(seen[5:], seen[6:]))
    assert seen[-1] < 1e-3


def test_onecycle_without_warmup_rises_for_its_own_thirty_percent():
    seen, _ = lrs("onecycle", total_steps=20)
    assert seen.index(max(seen)) == 5  # 0.3 * 20 - 1: OneCycleLR's default rise
