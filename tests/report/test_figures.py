"""The report's figures, laid out with fixed margins (measured ones where class names sit on an axis), keep every
text inside the figure and off the neighbouring axes, with values chosen to make their tick labels, titles and
class names as wide as they get."""
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


LONG_NAMES = ["WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW", "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmm mmmmmmmmmm"]
MANY_NAMES = [f"transfer_not_received_by_recipient_{c:02d}" for c in range(77)]


def per_class(names: list[str]) -> dict:
    return {name: {"precision": 1.0, "recall": 0.5, "f1": 0.667} for name in names}


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
    "confusion, two long names": lambda: figures.confusion_heatmap([[3, 1], [2, 5]], LONG_NAMES[:2]),
    "confusion, 77 names": lambda: figures.confusion_heatmap(np.eye(77, dtype=int).tolist(), MANY_NAMES),
    "per-class bars, two long names": lambda: figures.per_class_bars(per_class(LONG_NAMES[:2])),
    "per-class bars, 77 names": lambda: figures.per_class_bars(per_class(MANY_NAMES)),
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


def test_a_longer_name_widens_its_margin_and_not_the_axes(drawn):
    figures.per_class_bars(per_class(["short", "a"]))
    figures.per_class_bars(per_class(["short", "a much, much longer class name"]))
    (short, long) = [figure.axes[0].get_position() for figure in drawn]
    widths = [figure.get_figwidth() for figure in drawn]
    assert widths[1] > widths[0]
    assert short.width * widths[0] == pytest.approx(long.width * widths[1])
