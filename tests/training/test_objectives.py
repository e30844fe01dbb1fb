"""The multi-label objective weighs each label's positive texts by its rarity, and says how to undo it."""
import numpy as np
import pytest
import torch

from textclass.classifier import TextClassifier
from textclass.training.objectives import OBJECTIVES, MultiLabel, objective_for, positive_weights

from ..models.conftest import TINY_MODELS


def test_positive_weights_are_the_square_root_of_negatives_over_positives():
    labels = np.zeros((100, 4), np.int8)
    labels[:1, 0] = 1  # 1 of 100: sqrt(99)
    labels[:50, 1] = 1  # half: 1
    labels[:, 2] = 1  # every text: nothing to weigh against
    # label 3: no text has it
    np.testing.assert_allclose(positive_weights(labels), [np.sqrt(99), 1.0, 1.0, 1.0])


def test_weighted_loss_counts_positive_terms_times_their_weight():
    objective = MultiLabel(np.array([4.0, 1.0]))
    logits = torch.tensor([[0.3, -1.2], [2.0, 0.5]])
    labels = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    p = torch.sigmoid(logits)
    by_hand = -(4.0 * labels * torch.log(p) + (1 - labels) * torch.log(1 - p))
    by_hand[:, 1] = -(labels[:, 1] * torch.log(p[:, 1]) + (1 - labels[:, 1]) * torch.log(1 - p[:, 1]))
    assert float(objective.loss(logits, labels)) == pytest.approx(float(by_hand.mean()), rel=1e-6)
    np.testing.assert_allclose(objective.logit_offsets(), [-np.log(4.0), 0.0], atol=1e-7)


def test_weighted_optimum_sits_log_weight_above_the_log_odds():
    # One label present in 10% of texts, a bias-only model: the weighted loss's minimiser is
    # logit(0.1) + log(w), so adding logit_offsets gives back the frequency.
    labels = torch.zeros(1000, 1)
    labels[:100] = 1
    objective = objective_for("multi_label", labels.numpy())
    bias = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.LBFGS([bias], max_iter=100)

    def closure():
        optimizer.zero_grad()
        loss = objective.loss(bias.expand(1000, 1), labels)
        loss.backward()
        return loss

    optimizer.step(closure)
    corrected = float(bias.detach()) + float(objective.logit_offsets()[0])
    assert float(torch.sigmoid(torch.tensor(corrected))) == pytest.approx(0.1, abs=1e-3)
    assert float(torch.sigmoid(bias.detach())) > 0.2  # uncorrected, the rare label is overstated


def test_single_label_keeps_plain_cross_entropy():
    assert objective_for("single_label", np.array([0, 1, 1])) is OBJECTIVES["single_label"]


def test_multi_label_ngram_probabilities_estimate_label_frequency(multilabel_task):
    # "sports" keeps its label on one text in ten of those that mention it (~4% of texts): a rare label
    # that its words predict with probability ~0.1. Trained with its weight (~5) the raw sigmoid would say
    # ~0.35 for those texts; shifted back, the mean probability is the label's share of texts.
    train = [(text, [label for label in labels if label != "sports" or i % 10 == 0])
             for i, (text, labels) in enumerate(multilabel_task(600, 0))]
    clf = TextClassifier("ngram", progress=False, **{**TINY_MODELS["ngram"], "epochs": 10}).fit(
        train, valid=multilabel_task(100, 1))
    assert clf.labels_ == ["cooking", "finance", "sports"]
    share = np.mean(["sports" in labels for _, labels in train])
    proba = clf.predict_proba([text for text, _ in train])
    assert share < 0.08 and proba[:, 2].mean() == pytest.approx(share, abs=0.25 * share)
