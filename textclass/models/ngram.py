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

from ..collation import PREDICT_BATCH_SIZE
from ..data.shape import DataShape
from ..errors import ConfigError
from ..search_space import Choice, FloatRange, IntRange
from ..training.device import idle_cores
from ..training.optim import RowwiseAdagrad
from .base import TextModel
from .ngram_defaults import ngram_data_defaults
from .registry import register_model


# Above this many classes a training step scores only a sample of them (see _training_logits).
SAMPLED_ABOVE = 2048
SAMPLED_NEGATIVES = 1024
PREDICT_SCORES_PER_BATCH = 1 << 22
PREDICT_TEXTS_PER_BATCH = 4096


@register_model("ngram_v1", aliases=("ngram",))
class NgramClassifier(TextModel):
    """Hashed n-grams, NB-weighted, summed in an embedding bag -> linear head; ``members`` of them in one table.

    The members share one table and one pass over the data. Every training text goes to one member drawn at
    random, so the members learn from different orders of the same data; averaged, they beat any one of them
    (a linear model trained with adaptive steps depends on which texts it meets first, and averaging over
    orders removes most of that dependence: on IMDB, four members gain about 0.3 points of accuracy). A
    feature's members sit side by side in memory: training reads and updates only the member a text was dealt
    to, prediction reads all of them in one lookup, so the ensemble costs about what one model does.

    ``hidden_dim`` is each member's embedding width, capped at ``num_classes - 1``: a member's head times its
    embeddings form a feature-by-class matrix, and softmax ignores what all classes share, so rank
    ``num_classes - 1`` already reaches every linear classifier; a wider table would only cost memory and time.
    """

    input_format = "bag"
    encoder = {"name": "ngram_v1", "params": {}}
    # Adagrad's first step on a feature is about lr whatever its gradient's size, which suits features seen
    # in a handful of texts; the linear decay ends training at lr 0. Sparse gradients cannot be clipped cheaply.
    # Up to 10 epochs, stopping after 2 without gain: the dev suite's two-class sets keep their epoch 3-7 and
    # stop there, while BANKING77 keeps gaining until epoch 8-9 (10 epochs instead of 5: +0.6 points there,
    # +0.4 on R8).
    training_defaults = {"epochs": 10, "patience": 2, "batch_size": 256, "lr": 0.2, "clip_grad_norm": None,
                         "lr_schedule": "linear"}
    # What `textclass tune` searches: the step size and length of training, the features (the encoder's
    # settings) and the ensemble; the table's width is capped by the class count anyway.
    search_space = {"lr": FloatRange(0.02, 1.0, log=True), "epochs": IntRange(2, 10),
                    "batch_size": Choice((64, 128, 256, 512)), "word_ngrams": IntRange(1, 3),
                    "char_ngrams": Choice(("off", "2-4", "3-5", "2-6")), "char_weight": FloatRange(0.25, 1.0),
                    "min_count": IntRange(1, 3),
                    "nb_weights": Choice(("auto", "off")), "idf_weights": Choice(("auto", "off")), "hidden_dim": Choice((16, 32, 64)),
                    "members": IntRange(1, 4), "weight_decay": FloatRange(1e-8, 1e-4, log=True)}

    def __init__(self, num_features: int, num_classes: int, feature_weights: np.ndarray | None,
                 hidden_dim: int = 64, members: int = 4):
        super().__init__()
        if members < 1 or hidden_dim < 1:
            raise ConfigError(f"members and hidden_dim must be at least 1, got {members} and {hidden_dim}")
        self.members, self.width = members, min(hidden_dim, max(num_classes - 1, 1))
        # Row f * members + m is member m's embedding of feature f: the bytes of a features x (members * width)
        # table (``feature_rows``, and what the state dict holds), whose rows a training step can read and update
        # one member at a time. A sparse gradient spans whole rows, so with one row per feature every step
        # carried all members' columns, three quarters of them zeros: 70% of a step's time (BENCHMARKS.md).
        self.embedding = nn.EmbeddingBag(max(num_features, 1) * members, self.width, mode="sum", sparse=True)
        nn.init.zeros_(self.embedding.weight)
        self.register_state_dict_post_hook(_state_by_feature)
        self.register_load_state_dict_pre_hook(_state_by_member)
        bound = self.width ** -0.5  # nn.Linear's initialisation, one head per member
        self.head_weight = nn.Parameter(torch.empty(members, self.width, num_classes).uniform_(-bound, bound))
        self.head_bias = nn.Parameter(torch.empty(members, num_classes).uniform_(-bound, bound))
        self._class_table: tuple | None = None  # see prepare_for_inference
        # The encoder owns these (it learns and saves them); the model only reads them, so they stay out of
        # its state dict.
        if feature_weights is not None:
            self.register_buffer("feature_weights", torch.tensor(np.asarray(feature_weights, np.float32)),
                                 persistent=False)
        else:
            self.feature_weights = None

    def _feature_scale(self, batch) -> torch.Tensor:
        """Each feature occurrence's weight: 1/sqrt(the text's feature count), times its naive-Bayes ratio."""
        lengths = batch.lengths.to(batch.ids.device)
        scale = lengths.clamp(min=1).float().rsqrt()
        weights = torch.repeat_interleave(scale, lengths, output_size=len(batch.ids))
        if self.feature_weights is not None:
            weights = weights * self.feature_weights.index_select(0, batch.ids)
        return weights

    def feature_rows(self) -> torch.Tensor:
        """[features, members * width]: every member's embedding of each feature, side by side (a view)."""
        return self.embedding.weight.view(-1, self.members * self.width)

    def _bags(self, batch) -> torch.Tensor:
        """[texts, members, width]: every member's embedding of every text."""
        bags = nn.functional.embedding_bag(batch.ids, self.feature_rows(), batch.offsets, mode="sum",
                                           per_sample_weights=self._feature_scale(batch))
        return bags.view(len(batch.lengths), self.members, self.width)

    def _member_bags(self, batch, member: torch.Tensor) -> torch.Tensor:
        """[texts, width]: each text's embedding under the member it was dealt to (its rows only)."""
        lengths = batch.lengths.to(batch.ids.device)
        of_each = torch.repeat_interleave(member, lengths, output_size=len(batch.ids))
        return self.embedding(batch.ids * self.members + of_each, batch.offsets,
                              per_sample_weights=self._feature_scale(batch))

    def _weights_key(self) -> tuple:
        # torch counts in-place changes of a tensor in ``_version``: an optimizer step or loading weights
        # after the table was built makes the key differ, and the table is no longer used.
        return tuple((p.data_ptr(), p._version) for p in (self.embedding.weight, self.head_weight, self.head_bias))

    def prepare_for_inference(self) -> None:
        """Fold the members into one features x classes table when that is smaller than their rows.

        The members' averaged log-probabilities differ from their averaged logits by a per-text constant (the
        mean of their log-normalisers), which softmax, argmax and cross-entropy all ignore; and averaged logits
        are linear in the features. So prediction can read one row of num_classes scores per feature instead
        of members x width numbers and then a head per member: 2 numbers instead of 4 per feature on two
        classes, 77 instead of 256 on BANKING77.
        """
        classes = self.head_weight.shape[-1]
        if classes > self.members * self.width:
            self._class_table = None
            return
        with torch.no_grad():
            rows = self.feature_rows()
            table = rows @ self.head_weight.reshape(self.members * self.width, classes) / self.members
            self._class_table = (self._weights_key(), table, self.head_bias.mean(0))

    def forward(self, batch) -> torch.Tensor:
        if not self.training and self._class_table is not None and self._class_table[0] == self._weights_key():
            _, table, bias = self._class_table
            return nn.functional.embedding_bag(batch.ids, table, batch.offsets, mode="sum",
                                               per_sample_weights=self._feature_scale(batch)) + bias
        if self.training:
            member = self._deal(batch)
            return self._member_scores(self._member_bags(batch, member), member, None)
        bags = self._bags(batch)
        logits = torch.einsum("bmw,mwc->bmc", bags, self.head_weight) + self.head_bias
        # The members' averaged logits. Under softmax that is their normalised geometric mean (each member's
        # log-normaliser is the same for every class and cancels); under per-label sigmoids (multi-label),
        # the geometric mean of their odds.
        return logits.mean(1)

    def training_loss(self, batch, objective) -> tuple[torch.Tensor, int]:
        """Cross-entropy of each text under the one member it was dealt to; with many classes, over a sample.

        Above ``SAMPLED_ABOVE`` classes only the batch's own classes and ``SAMPLED_NEGATIVES`` others drawn at
        random are scored (sampled softmax, uniform draws): the loss, its gradient and the head's update touch
        those columns only, so a step costs about the same at 20,000 classes as at 2,000.
        """
        classes = self.head_weight.shape[-1]
        if classes <= SAMPLED_ABOVE or batch.labels.ndim != 1:  # label sets (multi-label) score every label
            member = self._deal(batch)
            logits = self._member_scores(self._member_bags(batch, member), member, None)
            return objective.loss(logits.float(), batch.labels), objective.exact(logits, batch.labels)
        drawn = torch.randint(classes, (SAMPLED_NEGATIVES,), device=batch.ids.device)
        columns = torch.unique(torch.cat((batch.labels, drawn)))  # sorted, so labels are found by bisection
        member = self._deal(batch)
        scores = self._member_scores(self._member_bags(batch, member), member, columns).float()
        loss = nn.functional.cross_entropy(scores, torch.searchsorted(columns, batch.labels))
        return loss, int((columns[scores.argmax(1)] == batch.labels).sum())

    def _deal(self, batch) -> torch.Tensor:
        """The member each text of a training batch trains, drawn at random."""
        return torch.randint(self.members, (len(batch.lengths),), device=batch.ids.device)

    def _member_scores(self, bags: torch.Tensor, member: torch.Tensor, columns: torch.Tensor | None) -> torch.Tensor:
        """[texts, classes or columns]: each text's bag ([texts, width]) scored by its member's head.

        Texts are grouped by member, so each member's head multiplies its own texts once (gathering a head per
        text would copy width x classes numbers per text: 1.3 GB a batch at 20,000 classes).
        """
        count = bags.shape[0]
        width = self.head_weight.shape[-1] if columns is None else len(columns)
        scores = bags.new_empty(count, width)
        for m in range(self.members):
            rows = (member == m).nonzero().squeeze(1)
            head, bias = self.head_weight[m], self.head_bias[m]
            if columns is not None:
                head, bias = head[:, columns], bias[columns]
            scores = scores.index_put((rows,), bags[rows] @ head + bias)
        return scores

    @classmethod
    def data_defaults(cls, shape: DataShape) -> dict[str, tuple[object, str]]:
        return ngram_data_defaults(shape)

    def shift_class_scores(self, offsets: torch.Tensor) -> bool:
        # Every member's bias moves by the same offsets, so the members' averaged scores move by exactly them.
        with torch.no_grad():
            self.head_bias.add_(offsets.to(self.head_bias))
        return True

    def intra_op_threads(self) -> int | None:
        """The cores nothing else is running on right now, at least one.

        Each op touches a few thousand table rows and ends in a barrier. On an idle machine a second thread
        makes an epoch about a third faster; when another process holds a core, every barrier waits for a
        descheduled thread and an epoch takes several times as long as on one thread. Results do not depend
        on the count: each bag and each table row is summed by one thread.
        """
        return idle_cores()

    def inference_threads(self) -> int | None:
        # Prediction is one table lookup and a small product per batch: on a busy machine a second thread
        # stalls every op at its barrier (BANKING77's test set under load 22: 658 texts/s on two threads,
        # 3,096 on one), and on an idle one the other core hashes the next texts (hashing.py) meanwhile.
        return 1

    def predict_batch_size(self) -> int | None:
        # A bag has no padding, so a batch costs its features and its texts x classes scores only: batches of
        # up to 4M scores (16 MB) and 4,096 texts make the per-batch work (offsets, scales, a call into torch)
        # negligible. BANKING77's test set (3,080 texts, 77 classes) is then one batch instead of 13: 30% less
        # model time. The text cap keeps a batch of long texts' ids small (IMDB: about 2M ids, 16 MB).
        by_scores = PREDICT_SCORES_PER_BATCH // self.head_bias.shape[-1]
        return max(PREDICT_BATCH_SIZE, min(PREDICT_TEXTS_PER_BATCH, by_scores))

    def upgrade_state_dict(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        # Runs saved before the encoder owned the naive-Bayes weights carried a copy in the model's weights;
        # the encoder reads that copy when its own file lacks them (NgramEncoder.load).
        return {key: value for key, value in state.items() if key != "feature_weights"}

    def configure_optimizer(self, lr: float, weight_decay: float):
        return RowwiseAdagrad(self.parameters(), lr=lr, weight_decay=weight_decay)


# Saved runs and checkpoints hold the table as features x (members * width), as before members had rows of
# their own: the same bytes, so both directions are views.
def _state_by_feature(model: NgramClassifier, state: dict, prefix: str, local_metadata) -> None:
    key = prefix + "embedding.weight"
    if key in state:
        state[key] = state[key].view(-1, model.members * model.width)


def _state_by_member(model: NgramClassifier, state: dict, prefix: str, *args) -> None:
    key = prefix + "embedding.weight"
    if key in state and state[key].dim() == 2 and state[key].shape[1] == model.members * model.width:
        state[key] = state[key].reshape(-1, model.width)
