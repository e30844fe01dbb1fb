"""The model contract: what every model family declares, and every hook the rest of textclass calls.

A model is an ``nn.Module`` that takes one ``Batch`` and returns logits [batch, classes]. Its class says which
input layout batching must build (``input_format``), which encoder turns texts into its ids (``encoder``) and
which training settings suit it (``training_defaults``); every hook below has a default, so a family overrides
only what it needs, and callers call hooks instead of probing for them.

Construction has one path, in ``fit`` and in ``load`` alike: the constructor, given the saved hyperparameters,
the encoder's ``model_args()`` and, when loading, ``run_args(run_dir)``: whatever the family saved next to its
weights with ``save_files`` (a transformer's architecture).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol, runtime_checkable

import torch
from torch import nn

if TYPE_CHECKING:
    from ..batching import Batch
    from ..data.shape import DataShape
    from ..training.objectives import Objective
    from ..text.base import Encoder

InputFormat = Literal["padded", "bag"]


class TextModel(nn.Module):
    """Base class of every registered model family."""

    registry_name: ClassVar[str]  # set by the registry: the versioned name a run records
    input_format: ClassVar[InputFormat]
    # Padded batches are widened to a multiple of this many positions. Every new batch width is a new tensor
    # shape for the allocator and for oneDNN's kernels; a convolution over batches of each width from 10 to 200
    # grew to 1.45 GB resident in 300 steps (freed blocks of every size, none reused), and to 0.51 GB at
    # multiples of 16, for the same CPU time. Only for families whose output ignores positions past a length.
    width_multiple: ClassVar[int] = 1
    encoder: ClassVar[dict]  # {"name": registered encoder, "params": its settings for this family}
    training_defaults: ClassVar[dict] = {}  # TrainingConfig fields this family sets differently
    # What `textclass tune` searches: setting name -> range (textclass.search_space), hyperparameters and
    # TrainingConfig fields alike. Empty: nothing declared, so the family cannot be tuned without a space.
    search_space: ClassVar[dict] = {}

    def forward(self, batch: "Batch") -> torch.Tensor:  # pragma: no cover - every family defines it
        raise NotImplementedError

    def training_loss(self, batch: "Batch", objective: "Objective") -> tuple[torch.Tensor, int]:
        """(mean loss, texts predicted exactly right) of one training batch: ``objective`` over ``forward``'s
        logits. Families that score only part of the classes while training (sampled softmax) override it."""
        logits = self(batch)
        return objective.loss(logits.float(), batch.labels), objective.exact(logits, batch.labels)

    def configure_optimizer(self, lr: float, weight_decay: float) -> torch.optim.Optimizer:
        """The optimizer training uses; families with sparse embeddings or parameter groups override it."""
        return torch.optim.Adam(self.parameters(), lr=lr, weight_decay=weight_decay)

    def intra_op_threads(self) -> int | None:
        """CPU threads to train with (asked once per fit); None keeps torch's choice."""
        return None

    def inference_threads(self) -> int | None:
        """CPU threads to predict with; None keeps torch's choice."""
        return None

    def predict_batch_size(self) -> int | None:
        """Texts per forward pass at prediction when the caller names none; None: ``PREDICT_BATCH_SIZE``."""
        return None

    def prepare_for_inference(self) -> None:
        """Called once the weights are final (after ``load``): precompute whatever makes prediction cheaper.
        Whatever it builds must stop being used when the weights change afterwards."""

    def init_embeddings(self, encoder: "Encoder") -> None:
        """Called once after construction in ``fit``, with the fitted encoder (never at load: the weights then
        come from the run). Families that start from pretrained word vectors read them here."""

    @classmethod
    def data_defaults(cls, shape: "DataShape") -> dict[str, tuple[object, str]]:
        """Settings this family chooses from the training data's shape: {name: (value, why)}, each a model or
        encoder hyperparameter or a training option. The classifier applies those the user left unset."""
        return {}

    def shift_class_scores(self, offsets: torch.Tensor) -> bool:
        """Add ``offsets`` [classes] to every logit this model returns from now on (a decision rule chosen
        after training); False when the family cannot, so the rule is not applied."""
        return False

    def save_files(self, directory: Path) -> None:
        """Write whatever besides the weights rebuilds this model offline (read back by ``run_args``)."""

    @classmethod
    def run_args(cls, directory: Path) -> dict:
        """Constructor arguments read from the files ``save_files`` wrote into a run."""
        return {}

    def upgrade_state_dict(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Weights as saved by an earlier version of this family -> what this version loads."""
        return state


@runtime_checkable
class TokenAttention(Protocol):
    """A model that can say how much each token of a text weighed in its prediction."""

    def attention_weights(self, batch: "Batch") -> torch.Tensor:
        """[batch, tokens] weights; each row sums to 1 over the text's tokens and is 0 on padding."""
        ...
