"""The tutorial's BiLSTM, with packed sequences so padding never enters the recurrence."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from .embedding import PretrainedEmbedding
from .registry import register_model


@register_model("bilstm_v1", aliases=("bilstm",))
class BiLSTMClassifier(PretrainedEmbedding, nn.Module):
    """Embedding -> stacked (bi)LSTM -> last forward and backward states -> dropout -> linear.

    ``pack=False`` reproduces the tutorial's defect: it runs the LSTM over the padded batch and reads
    ``h_n`` after the padding, so the forward state has consumed pad embeddings after the text ended and
    the backward state started on them. A text's prediction then depends on the other texts' lengths.
    Kept only so the benchmark can measure what packing changes.
    """

    input_format = "padded"
    encoder = {"name": "vocab_v1", "params": {}}

    def __init__(self, vocab_size: int, num_classes: int, padding_idx: int = 0, embedding_dim: int = 128,
                 hidden_dim: int = 256, num_layers: int = 2, dropout: float = 0.5, bidirectional: bool = True,
                 pack: bool = True, embeddings: str = "", freeze_embeddings: bool = False):
        super().__init__()
        self.pack = pack
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
        self.use_pretrained(embeddings, freeze_embeddings)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim, num_layers=num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0, bidirectional=bidirectional)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_dim * (2 if bidirectional else 1), num_classes)

    def forward(self, batch) -> torch.Tensor:
        embedded = self.embedding(batch.ids)
        if self.pack:
            embedded = pack_padded_sequence(embedded, batch.lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(embedded)
        # h_n is [layers * directions, B, H]; the last layer's directions are the last entries.
        final = torch.cat((h_n[-2], h_n[-1]), dim=1) if self.lstm.bidirectional else h_n[-1]
        return self.head(self.dropout(final))
