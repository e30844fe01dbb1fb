"""The figures laid out with fixed margins (no class names on their axes) keep every text inside the figure and
off the neighbouring axes, with values chosen to make their tick labels and titles as wide as they get."""
import numpy as np
import pytest

from textclass.report import figures


@pytest.fixture
def drawn(monkeypatch):
    """The Figures the report functions make, kept instead of encoded as PNG."""
    kept = []

    def keep(figure):
        kept.append(figure)
        return "data:image/png;base64,"

    monkeypatch.setattr(figures, "_uri", keep)
    return kept


def history(epochs: int, scale: float) -> list[dict]:
    rng = np.random.default_rng(epochs)
    return [{"epoch": e, "train_loss": scale * (1 + rng.random()), "valid_loss": scale * (1 + rng.random()),
             "train_accuracy": 0.9 + 0.001 * rng.random(), "valid_accuracy": 0.9 + 0.001 * rng.random()}
            for e in range(1, epochs + 1)]


def scores(n: int, classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, classes)) * 3
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return proba, rng.integers(0, classes, n)


CASES = {
    "training curves, tiny losses": lambda: figures.training_curves(history(3, 1e-5), 2),
    "training curves, many epochs, large losses": lambda: figures.training_curves(history(250, 12345.0), 117),
    "reliability": lambda: figures.reliability_diagram(*scores(500, 3)[:1], scores(500, 3, 1)[0], scores(500, 3)[1],
                                                       123.456),
    "ROC and PR, two classes": lambda: figures.roc_and_pr(*scores(400, 2), ["negative-sentiment", "x" * 40]),
    "ROC and PR, many classes": lambda: figures.roc_and_pr(*scores(400, 14), [f"class {c} " * 4 for c in range(14)]),
    "coverage": lambda: figures.coverage_curve(np.linspace(0.3, 1, 1000), np.arange(1000) % 7 > 0),
    "accuracy by length": lambda: figures.accuracy_by_length(np.arange(1, 100_001, 17), np.arange(5883) % 3 > 0),
    "accuracy by length, all right": lambda: figures.accuracy_by_length(np.arange(1, 100_001, 17),
                                                                         np.ones(5883, bool)),
}


@pytest.mark.parametrize("case", CASES)
def test_fixed_margins_keep_the_text_inside(case, drawn):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    CASES[case]()
    (figure,) = drawn
    assert figure.get_layout_engine() is None  # the fixed margins, not constrained layout, are under test
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    width, height = figure.bbox.width, figure.bbox.height
    boxes = [axes.get_tightbbox(renderer) for axes in figure.axes]
    for box in boxes:
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height, (box, width, height)
    for left, right in zip(boxes, boxes[1:]):
        assert left.x1 <= right.x0, (left, right)


def test_figures_with_class_names_on_an_axis_keep_constrained_layout(drawn):
    labels = ["a rather long class name", "short"]
    figures.confusion_heatmap([[3, 1], [2, 5]], labels)
    figures.per_class_bars({label: {"precision": 0.5, "recall": 0.5, "f1": 0.5} for label in labels})
    assert [type(figure.get_layout_engine()).__name__ for figure in drawn] == ["ConstrainedLayoutEngine"] * 2
