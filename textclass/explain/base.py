"""What every explanation method returns."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Explanation:
    text: str
    label: str  # the predicted label the weights explain
    probability: float  # its calibrated probability
    method: str  # "ngram-exact", "attention" or "integrated-gradients"
    tokens: list[tuple[str, float]]
    # ngram only: every feature of the text with its contribution, and the bias they add up with.
    features: list[tuple[str, float]] = field(default_factory=list)
    bias: float | None = None

    def to_dict(self) -> dict:
        record = {"text": self.text, "label": self.label, "probability": self.probability, "method": self.method,
                  "tokens": [{"token": t, "weight": w} for t, w in self.tokens]}
        if self.features:
            record["features"] = [{"feature": f, "contribution": w} for f, w in self.features]
            record["bias"] = self.bias
        return record


def predicted(clf, texts: list[str]) -> tuple[list[int], list[tuple[str, float]]]:
    """Index and (label, probability) of each text's predicted class, as ``predict`` decides it."""
    decisions = clf.decide(clf.predict_proba(texts))
    index = {label: i for i, label in enumerate(clf.labels_)}
    return [index[label] for label, _ in decisions], decisions
