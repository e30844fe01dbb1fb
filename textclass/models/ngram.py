"""Bag of hashed n-grams -> embedding bag -> linear head: fastText's recipe with NBSVM's feature weights.

A text is the sum of its features' embeddings, each scaled by the feature's naive-Bayes log-count ratio when
the encoder computed them (NBSVM, Wang & Manning 2012) and by 1/sqrt(number of features), so long and short
texts land at comparable scales without averaging away the evidence of long ones. Embeddings start at zero:
a feature the training data never moved contributes nothing, instead of random noise.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError
from ..search_space import Choice, FloatRange, IntRange
from ..training.device import idle_cores
from ..training.optim import RowwiseAdagrad
from .base import TextModel
from .registry import register_model


@register_model("ngram_v1", aliases=("ngram",))
class NgramClassifier(TextModel):
    """Hashed n-grams, NB-weighted, summed in an embedding bag -> linear head; ``members`` of them in one table.

    The members share one table and one pass over the data. Every training text goes to one member drawn at
    random, so the members learn from different orders of the same data; averaged, they beat any one of them
    (a linear model trained with adaptive steps depends on which texts it meets first, and averaging over
    orders removes most of that dependence: on IMDB, four members gain about 0.3 points of accuracy). A
    feature's row holds all members' embeddings side by side, so a lookup reads the same cache lines whether
    it serves one member (training) or all of them (prediction): the ensemble costs about what one model does.

    ``hidden_dim`` is each member's embedding width, capped at ``num_classes - 1``: a member's head times its
    embeddings form a feature-by-class matrix, and softmax ignores what all classes share, so rank
    ``num_classes - 1`` already reaches every linear classifier; a wider table would only cost memory and time.
    """

    input_format = "bag"
    encoder = {"name": "ngram_v1", "params": {}}
    # Adagrad's first step on a feature is about lr whatever its gradient's size, which suits features seen
    # in a handful of texts; the linear decay ends training at lr 0. Sparse gradients cannot be clipped cheaply.
    training_defaults = {"epochs": 5, "batch_size": 256, "lr": 0.2, "clip_grad_norm": None, "lr_schedule": "linear"}
    # What `textclass tune` searches: the step size and length of training, the features (the encoder's
    # settings) and the ensemble; the table's width is capped by the class count anyway.
    search_space = {"lr": FloatRange(0.02, 1.0, log=True), "epochs": IntRange(2, 10),
                    "batch_size": Choice((64, 128, 256, 512)), "word_ngrams": IntRange(1, 3),
                    "char_ngrams": Choice(("off", "2-4", "3-5", "2-6")), "min_count": IntRange(1, 3),
                    "nb_weights": Choice(("auto", "off")), "hidden_dim": Choice((16, 32, 64)),
                    "members": IntRange(1, 4), "weight_decay": FloatRange(1e-8, 1e-4, log=True)}

    def __init__(self, num_features: int, num_classes: int, feature_weights: np.ndarray | None,
                 hidden_dim: int = 64, members: int = 4):
        super().__init__()
        if members < 1 or hidden_dim < 1:
            raise ConfigError(f"members and hidden_dim must be at least 1, got {members} and {hidden_dim}")
        self.members, self.width = members, min(hidden_dim, max(num_classes - 1, 1))
        self.embedding = nn.EmbeddingBag(max(num_features, 1), members * self.width, mode="sum", sparse=True)
        nn.init.zeros_(self.embedding.weight)
        bound = self.width ** -0.5  # nn.Linear's initialisation, one head per member
        self.head_weight = nn.Parameter(torch.empty(members, self.width, num_classes).uniform_(-bound, bound))
        self.head_bias = nn.Parameter(torch.empty(members, num_classes).uniform_(-bound, bound))
        # The encoder owns these (it learns and saves them); the model only reads them, so they stay out of
        # its state dict.
        if feature_weights is not None:
            self.register_buffer("feature_weights", torch.tensor(np.asarray(feature_weights, np.float32)),
                                 persistent=False)
        else:
            self.feature_weights = None

    def forward(self, batch) -> torch.Tensor:
        lengths = batch.lengths.to(batch.ids.device)
        scale = lengths.clamp(min=1).float().rsqrt()
        weights = torch.repeat_interleave(scale, lengths, output_size=len(batch.ids))
        if self.feature_weights is not None:
            weights = weights * self.feature_weights.index_select(0, batch.ids)
        bags = self.embedding(batch.ids, batch.offsets, per_sample_weights=weights)
        bags = bags.view(len(lengths), self.members, self.width)
        if self.training:
            member = torch.randint(self.members, (len(lengths),), device=bags.device)
            chosen = bags[torch.arange(len(lengths), device=bags.device), member]
            return torch.einsum("bw,bwc->bc", chosen, self.head_weight[member]) + self.head_bias[member]
        logits = torch.einsum("bmw,mwc->bmc", bags, self.head_weight) + self.head_bias
        # The members' averaged logits. Under softmax that is their normalised geometric mean (each member's
        # log-normaliser is the same for every class and cancels); under per-label sigmoids (multi-label),
        # the geometric mean of their odds.
        return logits.mean(1)

    def intra_op_threads(self) -> int | None:
        """The cores nothing else is running on right now, at least one.

        Each op touches a few thousand table rows and ends in a barrier. On an idle machine a second thread
        makes an epoch about a third faster; when another process holds a core, every barrier waits for a
        descheduled thread and an epoch takes several times as long as on one thread. Results do not depend
        on the count: each bag and each table row is summed by one thread.
        """
        return idle_cores()

    def upgrade_state_dict(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        # Runs saved before the encoder owned the naive-Bayes weights carried a copy in the model's weights;
        # the encoder reads that copy when its own file lacks them (NgramEncoder.load).
        return {key: value for key, value in state.items() if key != "feature_weights"}

    def configure_optimizer(self, lr: float, weight_decay: float):
        return RowwiseAdagrad(self.parameters(), lr=lr, weight_decay=weight_decay)
