"""Hyperparameter search: tiny studies on the topic task, resumed studies, pruning, the CLI."""
from __future__ import annotations

import pytest

optuna = pytest.importorskip("optuna")

from textclass import TextClassifier  # noqa: E402
from textclass.training import OPTIONS  # noqa: E402
from textclass.data import stratified_split  # noqa: E402
from textclass.errors import ConfigError  # noqa: E402
from textclass.search_space import Choice, FloatRange  # noqa: E402
from textclass.tune import TuneResult, open_study, plot_importance, search_space, summary_table, tune  # noqa: E402

# Small and fast: word unigrams and bigrams in a small hash space, one ensemble member, two epochs.
FIXED = {"epochs": 2, "members": 1, "char_ngrams": "off", "num_buckets": 1 << 14, "seed": 0}
SPACE = {"lr": FloatRange(0.05, 1.0, log=True), "word_ngrams": Choice((1, 2))}


@pytest.fixture()
def halves(topics):
    train, _ = topics
    return stratified_split(train, 0.25, 0)


def test_every_model_declares_a_space_of_settings_it_takes():
    for name in ("ngram", "cnn", "bilstm", "bilstm_attn", "transformer"):
        space = search_space(name)
        assert space, name
        assert set(space) <= set(TextClassifier.hyperparameters(name)) | set(OPTIONS)


def test_fixed_settings_leave_the_space_and_unknown_names_are_refused():
    assert "lr" not in search_space("ngram", fixed={"lr": 0.1})
    with pytest.raises(ConfigError, match="hidden_size"):
        search_space("ngram", space={"hidden_size": Choice((1, 2))})


def test_a_tiny_study_returns_the_best_trial_fitted(tmp_path, halves, topics):
    train, valid = halves
    result = tune("ngram", train, valid, trials=3, storage=tmp_path / "s.db", fixed=FIXED, space=SPACE)
    assert isinstance(result, TuneResult) and result.new_trials == 3
    assert len(result.study.trials) == 3
    assert result.best_value == result.study.best_value
    assert result.best_params == result.study.best_trial.params
    assert result.classifier.training_config().lr == result.best_params["lr"]
    assert len(result.classifier.predict(topics[1].texts)) == len(topics[1])
    table = summary_table(result.study)
    assert "3 trials (3 complete)" in table and f"{result.best_value:.4f}" in table
    # The topic task is easy enough that every trial scores alike: nothing to attribute, so no plot.
    assert {t.value for t in result.study.trials} != {1.0} or plot_importance(result.study, tmp_path / "i.png") is None


def test_the_importance_plot_ranks_the_setting_that_moved_the_score(tmp_path):
    study = optuna.create_study(direction="maximize", study_name="made-up")
    lr, width = optuna.distributions.FloatDistribution(0.01, 1.0), optuna.distributions.IntDistribution(1, 8)
    for i in range(12):
        params = {"lr": 0.01 + i * 0.08, "width": 1 + i % 8}
        study.add_trial(optuna.trial.create_trial(params=params, distributions={"lr": lr, "width": width},
                                                  value=params["lr"]))
    plot = plot_importance(study, tmp_path / "importance.png")
    assert plot == tmp_path / "importance.png" and plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


class Interrupting:
    """A range that answers like ``inner`` until its ``after``-th question, then acts like Ctrl-C."""

    def __init__(self, inner, after: int):
        self.inner, self.after, self.asked = inner, after, 0

    def suggest(self, trial, name):
        self.asked += 1
        if self.asked > self.after:
            raise KeyboardInterrupt
        return self.inner.suggest(trial, name)

    def describe(self):
        return self.inner.describe()


def test_an_interrupted_study_resumes_and_its_trial_count_continues(tmp_path, halves):
    train, valid = halves
    storage = tmp_path / "study.db"
    space = {**SPACE, "lr": Interrupting(SPACE["lr"], after=2)}
    with pytest.raises(KeyboardInterrupt):
        tune("ngram", train, valid, trials=5, storage=storage, fixed=FIXED, space=space)
    study = open_study(storage, "ngram_v1-accuracy", model="ngram", monitor="accuracy")
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE", "FAIL"]
    result = tune("ngram", train, valid, trials=5, storage=storage, fixed=FIXED, space=SPACE)
    assert result.new_trials == 3  # the budget counts finished trials across both runs
    assert [t.number for t in result.study.trials] == [0, 1, 2, 3, 4, 5]
    again = tune("ngram", train, valid, trials=5, storage=storage, fixed=FIXED, space=SPACE)
    assert again.new_trials == 0 and len(again.study.trials) == 6


def test_trials_that_fall_behind_after_an_epoch_are_pruned(tmp_path, halves):
    train, valid = halves
    impossible = optuna.pruners.ThresholdPruner(lower=1.01)  # every first epoch is below it
    with pytest.raises(ConfigError, match="no completed trial"):
        tune("ngram", train, valid, trials=2, storage=tmp_path / "s.db", fixed={**FIXED, "epochs": 4},
             space=SPACE, pruner=impossible)
    study = open_study(tmp_path / "s.db", "ngram_v1-accuracy", model="ngram", monitor="accuracy")
    assert [t.state.name for t in study.trials] == ["PRUNED", "PRUNED"]
    assert [t.user_attrs["epochs"] for t in study.trials] == [1, 1]  # stopped after the first of 4 epochs
    assert all(list(t.intermediate_values) == [1] for t in study.trials)


def test_a_study_made_for_another_model_is_refused(tmp_path):
    open_study(tmp_path / "s.db", "mine", model="ngram", monitor="accuracy")
    with pytest.raises(ConfigError, match="searches ngram_v1 on validation accuracy, not cnn_v1"):
        open_study(tmp_path / "s.db", "mine", model="cnn", monitor="accuracy")


def test_cli_tune_saves_the_best_run_and_a_later_call_continues_the_study(cli, topic_files, tmp_path):
    common = ("--train", topic_files["train_csv"], "--test", topic_files["test_csv"], "--text-column", "body",
              "--label-column", "queue", "--model", "ngram", "--epochs", 2, "--members", 1, "--char-ngrams", "off",
              "--num-buckets", 1 << 14, "--lr", 0.5)
    result = cli("tune", *common, "--trials", 2, "--out", tmp_path / "best")
    assert result.code == 0, result.err
    assert "study ngram_v1-accuracy: 2 trials" in result.out and "Test report of the best trial" in result.out
    assert (tmp_path / "best.study.db").is_file()
    best = TextClassifier.load(tmp_path / "best")
    assert best.training_config().lr == 0.5 and best.training_config().epochs == 2
    again = cli("tune", *common, "--trials", 3, "--storage", tmp_path / "best.study.db", "--out", tmp_path / "more")
    assert again.code == 0, again.err
    assert "study ngram_v1-accuracy: 3 trials" in again.out


def test_cli_tune_without_validation_texts_is_refused(cli, topic_files, tmp_path):
    result = cli("tune", "--train", topic_files["train_csv"], "--text-column", "body", "--label-column", "queue",
                 "--valid-fraction", 0, "--trials", 1, "--out", tmp_path / "run")
    assert result.code == 2 and "--valid-fraction" in result.err
