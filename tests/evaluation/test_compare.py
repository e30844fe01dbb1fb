import pytest

from textclass.errors import ArtifactError
from textclass.evaluation.compare import compare_runs, mcnemar


def test_mcnemar_counts_discordant_texts_only():
    a = [True] * 10 + [True] * 8 + [False] * 2
    b = [True] * 10 + [False] * 8 + [True] * 2
    result = mcnemar(a, b)
    assert (result["only_first_correct"], result["only_second_correct"]) == (8, 2)
    # Two-sided exact binomial: P(X <= 2 or X >= 8), X ~ Bin(10, 1/2) = 112 / 1024.
    assert result["p_value"] == pytest.approx(112 / 1024)
    assert mcnemar([True, False], [True, False])["p_value"] == 1.0


def test_compare_needs_metrics(tmp_path, fitted):
    fitted.save(tmp_path / "run")
    with pytest.raises(ArtifactError, match="metrics.json"):
        compare_runs([tmp_path / "run"])


def test_runs_on_different_test_sets_are_not_paired(tmp_path, fitted, topics):
    _, test = topics
    fitted.save(tmp_path / "one", metrics=fitted.evaluate(test))
    fitted.save(tmp_path / "two", metrics=fitted.evaluate(list(zip(test.texts[:30], test.labels[:30]))))
    result = compare_runs([tmp_path / "one", tmp_path / "two"])
    assert len(result["rows"]) == 2 and result["pairs"] == []
