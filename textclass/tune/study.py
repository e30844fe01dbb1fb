"""The search: TPE sampling, pruning on the validation score after each epoch, the study kept in storage.

A study lives in an Optuna storage (a SQLite file by default), so a search that was interrupted continues
where it stopped, and several processes pointed at the same storage and study name share the work: the
trial budget counts finished trials (completed or pruned) across all of them.
"""
from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..classifier import TextClassifier
from ..data import TextDataset
from ..errors import ConfigError
from ..models import MODELS
from ..search_space import Range
from ..training import MONITORS, OPTIONS, TrainingConfig

log = logging.getLogger("textclass.tune")

INSTALL_HINT = "hyperparameter search needs Optuna: pip install -e '.[tune]'"


def require_optuna():
    try:
        import optuna
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    return optuna


def search_space(model: str, fixed=(), space: dict[str, Range] | None = None) -> dict[str, Range]:
    """The ranges searched for ``model``: its declared ``search_space`` (or ``space``) minus the ``fixed`` names."""
    declared = dict(MODELS.get(model).search_space if space is None else space)
    if not declared:
        raise ConfigError(f"model {model!r} declares no search space; pass one (space=...)")
    accepted = set(TextClassifier.hyperparameters(model)) | set(OPTIONS)
    unknown = sorted(set(declared) - accepted)
    if unknown:
        raise ConfigError(f"search space names settings model {model!r} does not take: {', '.join(unknown)}")
    searched = {name: rng for name, rng in declared.items() if name not in set(fixed)}
    if not searched:
        raise ConfigError(f"nothing left to search: every setting of model {model!r}'s search space is fixed")
    return searched


def storage_url(storage: str | Path) -> str:
    """A database URL as given; a plain path means a SQLite file there."""
    text = str(storage)
    if "://" in text:
        return text
    path = Path(text).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def open_study(storage: str | Path, study_name: str, *, model: str, monitor: str):
    """Creates the study, or opens it if it exists; refuses one made for another model or metric."""
    optuna = require_optuna()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the search logs its own lines, one per trial
    url = storage_url(storage)
    # The heartbeat lets a later process mark trials of a killed one as failed instead of running forever;
    # the timeout lets processes sharing a SQLite file wait for each other's writes.
    engine = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    with warnings.catch_warnings():  # the heartbeat is marked experimental; it is what resuming relies on
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        rdb = optuna.storages.RDBStorage(url, engine_kwargs=engine, heartbeat_interval=30, grace_period=120)
    direction = "maximize" if MONITORS[monitor] == "max" else "minimize"
    study = optuna.create_study(storage=rdb, study_name=study_name, direction=direction, load_if_exists=True)
    expected = {"model": MODELS.canonical(model), "monitor": monitor}
    recorded = {key: study.user_attrs.get(key) for key in expected}
    if all(value is None for value in recorded.values()):
        for key, value in expected.items():
            study.set_user_attr(key, value)
    elif recorded != expected:
        raise ConfigError(f"study {study_name!r} in {storage} searches {recorded['model']} on validation "
                          f"{recorded['monitor']}, not {expected['model']} on {monitor}; give another study name")
    return study


@dataclass
class TuneResult:
    study: Any  # optuna.Study
    classifier: TextClassifier  # fitted with the best trial's settings
    best_params: dict  # the searched settings of the best trial (fixed ones not included)
    best_value: float
    new_trials: int  # trials this call ran


def _finished(study) -> int:
    from optuna.trial import TrialState

    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))


def tune(model: str, train: TextDataset, valid: TextDataset, *, trials: int, storage: str | Path,
         study_name: str | None = None, timeout: float | None = None, fixed: dict | None = None,
         space: dict[str, Range] | None = None, sampler_seed: int | None = None, pruner=None) -> TuneResult:
    """Searches ``model``'s settings until the study holds ``trials`` finished trials or ``timeout`` seconds pass.

    ``fixed`` are settings every trial uses (``epochs=3``, ``seed=1``...); the rest of the model's
    ``search_space`` (or ``space``) is sampled by TPE. Each epoch's validation score is reported to the
    pruner (median of the completed trials by default), which stops trials that fall behind. The best trial's
    classifier comes back fitted: kept from this process when it ran that trial, else trained again with
    the same settings and seed.
    """
    optuna = require_optuna()
    if trials < 1:
        raise ConfigError(f"trials must be at least 1, got {trials}")
    if timeout is not None and timeout <= 0:
        raise ConfigError(f"timeout must be positive seconds, got {timeout}")
    if valid is None or len(valid) == 0:
        raise ConfigError("tuning needs validation data: every trial is scored on it")
    fixed = {**(fixed or {}), "progress": False}
    TextClassifier(model, **fixed)  # settings that fail for every trial fail here, once
    monitor = fixed.get("monitor") or TrainingConfig.monitor
    searched = search_space(model, fixed, space)
    study_name = study_name or f"{MODELS.canonical(model)}-{monitor}"
    study = open_study(storage, study_name, model=model, monitor=monitor)
    already = _finished(study)
    # Reproducible for one process; a resumed search does not replay the proposals it already tried.
    study.sampler = optuna.samplers.TPESampler(seed=(fixed.get("seed", 0) * 7919 + len(study.trials))
                                               if sampler_seed is None else sampler_seed, constant_liar=True)
    study.pruner = pruner or optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=1)
    best_here: dict = {}
    maximize = MONITORS[monitor] == "max"

    def objective(trial) -> float:
        params = {name: rng.suggest(trial, name) for name, rng in searched.items()}
        clf = TextClassifier(model, **fixed, **params)
        started = time.perf_counter()

        def report(row: dict) -> None:
            value = row[f"valid_{monitor}"]
            trial.report(value, row["epoch"])
            trial.set_user_attr("epochs", row["epoch"])
            trial.set_user_attr("seconds", round(time.perf_counter() - started, 2))
            if trial.should_prune():
                log.info("trial %d pruned after epoch %d (validation %s %.4f)", trial.number, row["epoch"],
                         monitor, value)
                raise optuna.TrialPruned()

        with _quiet_training():
            clf.fit(train, valid=valid, on_epoch_end=report)
        value = clf.history_[clf.best_epoch_ - 1][f"valid_{monitor}"]
        trial.set_user_attr("best_epoch", clf.best_epoch_)
        log.info("trial %d: validation %s %.4f (epoch %d of %d, %.1fs)", trial.number, monitor, value,
                 clf.best_epoch_, len(clf.history_), time.perf_counter() - started)
        if not best_here or (value > best_here["value"] if maximize else value < best_here["value"]):
            best_here.update(number=trial.number, value=value, classifier=clf)
        return value

    if already >= trials:
        log.info("study %r already holds %d finished trials (asked for %d); nothing to run", study_name, already,
                 trials)
    else:
        log.info("study %r: %d finished trials so far, running up to %d more%s", study_name, already,
                 trials - already, f" for at most {timeout:g}s" if timeout else "")
        # The callback stops every process sharing the study once the study as a whole has enough trials.
        limit = optuna.study.MaxTrialsCallback(trials, states=(optuna.trial.TrialState.COMPLETE,
                                                                optuna.trial.TrialState.PRUNED))
        study.optimize(objective, n_trials=trials - already, timeout=timeout, callbacks=[limit],
                       gc_after_trial=True)
    try:
        best = study.best_trial
    except ValueError:
        raise ConfigError(f"study {study_name!r} has no completed trial yet (all pruned or failed, or the "
                          "timeout came first); run it longer") from None
    if best_here.get("number") == best.number:
        classifier = best_here["classifier"]
    else:
        log.info("best trial %d ran elsewhere; training its settings again", best.number)
        with _quiet_training():
            classifier = TextClassifier(model, **fixed, **best.params).fit(train, valid=valid)
    return TuneResult(study, classifier, dict(best.params), best.value, _finished(study) - already)


class _quiet_training:
    """Per-epoch and per-fit log lines of every trial would bury the search's own lines; keep warnings."""

    def __enter__(self):
        self.logger = logging.getLogger("textclass")
        self.own = logging.getLogger("textclass.tune")
        self.saved = self.logger.level, self.own.level
        self.own.setLevel(self.logger.getEffectiveLevel())
        self.logger.setLevel(max(self.logger.getEffectiveLevel(), logging.WARNING))

    def __exit__(self, *exc):
        self.logger.setLevel(self.saved[0])
        self.own.setLevel(self.saved[1])
