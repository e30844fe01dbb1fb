"""Side by side test metrics of several runs, and McNemar's exact test for each pair that shares a test set.

McNemar's test looks only at the texts on which two classifiers disagree in correctness: under the hypothesis
that both are equally accurate, each such text is equally likely to favour either, so the count favouring one
is Binomial(discordant, 1/2) (Dietterich 1998 recommends it for comparing two classifiers on one test set).
Pairing needs the per-text predictions that ``TextClassifier.evaluate`` stores with the test set's sha256.
"""
from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np

from ..artifact import read_json, read_run
from ..errors import ArtifactError, ConfigError

COLUMNS = ("accuracy", "macro_f1", "weighted_f1", "loss")


def mcnemar(correct_a, correct_b) -> dict:
    """Exact two-sided McNemar test: counts of texts only ``a`` or only ``b`` got right, and the p-value."""
    try:
        from scipy.stats import binomtest
    except ImportError:
        raise ConfigError("significance tests need scipy: pip install 'textclass[report]'") from None
    a, b = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
    p = 1.0 if only_a + only_b == 0 else float(binomtest(only_a, only_a + only_b, 0.5).pvalue)
    return {"only_first_correct": only_a, "only_second_correct": only_b, "p_value": p}


def compare_runs(directories) -> dict:
    """``rows``: one per run (its model and test metrics); ``pairs``: McNemar for every two runs evaluated on
    the same test set (same sha256 of texts and labels); ``unpaired``: why a run could not be paired."""
    rows, correct, unpaired = [], {}, []
    for directory in directories:
        directory, config, labels = read_run(directory)
        if not (directory / "metrics.json").is_file():
            raise ArtifactError(f"{directory}: no metrics.json (train with --test, or run `textclass evaluate`)")
        metrics = read_json(directory / "metrics.json")
        calibrated = (metrics.get("calibration") or {}).get("after") or {}
        rows.append({"run": str(directory), "model": config["model"]["name"], "n": metrics.get("n"),
                     **{key: metrics.get(key) for key in COLUMNS}, "ece": calibrated.get("ece"),
                     "nll": calibrated.get("nll")})
        predictions = metrics.get("predictions")
        if predictions:
            hits = np.asarray(predictions["true"]) == np.asarray(predictions["predicted"])
            correct[str(directory)] = (predictions["sha256"], hits)
        else:
            unpaired.append(f"{directory}: metrics.json has no per-text predictions (saved before they were kept)")
    pairs = []
    for first, second in combinations(correct, 2):
        if correct[first][0] != correct[second][0]:
            continue
        pairs.append({"first": first, "second": second, **mcnemar(correct[first][1], correct[second][1])})
    return {"rows": rows, "pairs": pairs, "unpaired": unpaired}


def format_comparison(result: dict) -> str:
    def cell(value, digits=4):
        return "-" if value is None else f"{value:.{digits}f}" if isinstance(value, float) else str(value)

    header = ("run", "model", "n", "accuracy", "macro F1", "weighted F1", "loss", "ECE", "NLL")
    table = [header] + [(Path(r["run"]).name, r["model"], cell(r["n"]), cell(r["accuracy"]), cell(r["macro_f1"]),
                         cell(r["weighted_f1"]), cell(r["loss"]), cell(r["ece"]), cell(r["nll"]))
                        for r in result["rows"]]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(f"{value:<{w}}" if i < 2 else f"{value:>{w}}" for i, (value, w) in enumerate(zip(row, widths)))
             for row in table]
    lines.insert(1, "-" * len(lines[0]))
    if result["pairs"]:
        lines += ["", "McNemar exact test on the shared test set (texts only one of the two got right):"]
        for pair in result["pairs"]:
            lines.append(f"  {Path(pair['first']).name} vs {Path(pair['second']).name}: "
                         f"{pair['only_first_correct']} vs {pair['only_second_correct']}, p = {pair['p_value']:.4g}")
    elif len(result["rows"]) > 1:
        lines += ["", "no two runs share a test set: no paired test"]
    lines += result["unpaired"]
    return "\n".join(lines)
