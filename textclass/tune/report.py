"""What a search found: a table of the best trials and a plot of how much each setting mattered."""
from __future__ import annotations

import logging
from pathlib import Path

from ..io import atomic_path

log = logging.getLogger("textclass.tune")


def _shown(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def summary_table(study, limit: int = 10) -> str:
    """The study's counts by state, then its ``limit`` best completed trials, best first."""
    from optuna.trial import TrialState

    states = {}
    for trial in study.get_trials(deepcopy=False):
        states[trial.state.name.lower()] = states.get(trial.state.name.lower(), 0) + 1
    counts = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
    monitor = study.user_attrs.get("monitor", "score")
    lines = [f"study {study.study_name}: {len(study.trials)} trials ({counts})"]
    done = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
    if not done:
        return "\n".join(lines)
    maximize = study.direction.name == "MAXIMIZE"
    done.sort(key=lambda t: -t.value if maximize else t.value)
    rows = [(str(t.number), f"{t.value:.4f}", f"{t.user_attrs.get('best_epoch', '?')}/{t.user_attrs.get('epochs', '?')}",
             f"{t.user_attrs.get('seconds', float('nan')):.1f}",
             " ".join(f"{k}={_shown(v)}" for k, v in sorted(t.params.items()))) for t in done[:limit]]
    header = ("trial", f"valid {monitor}", "epoch", "seconds", "settings")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    for row in [header, *rows]:
        lines.append("  ".join(cell.rjust(w) for cell, w in zip(row[:4], widths)) + "  " + row[4])
    return "\n".join(lines)


def plot_importance(study, path) -> Path | None:
    """fANOVA importance of each searched setting for the validation score, as a PNG at ``path``.

    Needs at least two completed trials that differ; with fewer there is nothing to attribute, and ``None``
    comes back (logged) instead of a plot.
    """
    import matplotlib

    matplotlib.use("Agg")  # files only; no display is ever needed
    import matplotlib.pyplot as plt
    import optuna
    from optuna.importance import FanovaImportanceEvaluator

    try:
        importances = optuna.importance.get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))
    except (ValueError, RuntimeError) as exc:  # too few completed trials, or all alike
        log.warning("no importance plot: %s", exc)
        return None
    if not importances:
        log.warning("no importance plot: no setting varied across the completed trials")
        return None
    names = list(importances)[::-1]  # largest at the top of a horizontal bar chart
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(names) + 1.4))
    ax.barh(names, [importances[n] for n in names], color="#4c72b0")
    ax.set_xlabel(f"share of the variance of validation {study.user_attrs.get('monitor', 'score')} (fANOVA)")
    completed = sum(t.state.name == "COMPLETE" for t in study.trials)
    ax.set_title(f"{study.study_name}: what mattered ({completed} completed trials)")
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as temporary:
        fig.savefig(temporary, dpi=110)
    plt.close(fig)
    return path
