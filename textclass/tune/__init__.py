"""Hyperparameter search over a model family's declared ``search_space`` (needs the ``tune`` extra: Optuna)."""
from .report import plot_importance, summary_table
from .study import TuneResult, open_study, search_space, tune

__all__ = ["TuneResult", "open_study", "plot_importance", "search_space", "summary_table", "tune"]
