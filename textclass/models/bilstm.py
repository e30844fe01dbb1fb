"""The tutorial's BiLSTM, with padding kept out of the recurrence (what packed sequences give, faster on CPU)."""
from __future__ import annotations

import torch
from torch import nn

from .embedding import PretrainedEmbedding
from .recurrent import LengthAwareLSTM
from ..search_space import Choice, FloatRange, IntRange
from .registry import register_model


@register_model("bilstm_v1", aliases=("bilstm",))
class BiLSTMClassifier(PretrainedEmbedding):
    """Embedding -> stacked (bi)LSTM -> last forward and backward states -> dropout -> linear.

    ``pack=True`` reads each text's final states exactly where its tokens end, as a packed LSTM would
    (``LengthAwareLSTM`` computes the same thing without ``PackedSequence``, which is slow on CPU).
    ``pack=False`` reproduces the tutorial's defect: the LSTM runs over the padded batch and ``h_n`` is read
    after the padding, so the forward state has consumed pad embeddings after the text ended and the
    backward state started on them; a text's prediction then depends on the other texts' lengths.
    Kept only so the benchmark can measure what the fix changes.
    """

    input_format = "padded"
    encoder = {"name": "vocab_v1", "params": {}}
    search_space = {"lr": FloatRange(3e-4, 5e-3, log=True), "epochs": IntRange(2, 8),
                    "batch_size": Choice((32, 64, 128)), "embedding_dim": Choice((64, 128, 200)),
                    "hidden_dim": Choice((64, 128, 256)), "num_layers": IntRange(1, 2),
                    "dropout": FloatRange(0.1, 0.6), "min_freq": IntRange(1, 5)}

    def __init__(self, vocab_size: int, num_classes: int, padding_idx: int = 0, embedding_dim: int = 128,
                 hidden_dim: int = 256, num_layers: int = 2, dropout: float = 0.5, bidirectional: bool = True,
                 pack: bool = True, embeddings: str = "", freeze_embeddings: bool = False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
        self.use_pretrained(embeddings, freeze_embeddings)
        self.lstm = LengthAwareLSTM(embedding_dim, hidden_dim, num_layers, dropout if num_layers > 1 else 0.0,
                                    bidirectional, respect_lengths=pack)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.lstm.output_dim, num_classes)

    def forward(self, batch) -> torch.Tensor:
        _, final = self.lstm(self.embedding(batch.ids), batch.lengths)
        return self.head(self.dropout(final))
