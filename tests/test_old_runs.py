"""Runs saved by an earlier release keep loading and predicting the same."""
import json
from pathlib import Path

import numpy as np
import pytest

from textclass import TextClassifier

FIXTURES = Path(__file__).parent / "fixtures" / "runs_8ba0215"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
RUNS = sorted(name for name in EXPECTED if name != "texts")


@pytest.mark.parametrize("name", RUNS)
def test_run_saved_before_the_contracts_predicts_the_same(name):
    clf = TextClassifier.load(FIXTURES / name)
    proba = clf.predict_proba(EXPECTED["texts"])
    np.testing.assert_allclose(proba, np.array(EXPECTED[name]), rtol=0, atol=1e-6)
