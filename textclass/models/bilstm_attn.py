"""The BiLSTM with attention pooling: every token's output state votes, not only the final states."""
from __future__ import annotations

import torch
from torch import nn

from .base import TokenAttention
from .embedding import PretrainedEmbedding
from .recurrent import LengthAwareLSTM
from ..search_space import Choice, FloatRange, IntRange
from .registry import register_model


@register_model("bilstm_attn_v1", aliases=("bilstm_attn",))
class BiLSTMAttentionClassifier(PretrainedEmbedding, TokenAttention):
    """Embedding -> stacked (bi)LSTM that never reads padding -> additive attention pooling -> dropout -> linear.

    Each output state h_t gets the score ``v . tanh(W h_t + b)``; a softmax over the text's real tokens (padding
    gets weight zero) turns scores into weights, and the weighted sum of states is the text's representation.
    ``attention_weights(batch)`` returns those weights, one row per text.
    """

    input_format = "padded"
    encoder = {"name": "vocab_v1", "params": {}}
    search_space = {"lr": FloatRange(3e-4, 5e-3, log=True), "epochs": IntRange(2, 8),
                    "batch_size": Choice((32, 64, 128)), "embedding_dim": Choice((64, 128, 200)),
                    "hidden_dim": Choice((64, 128, 256)), "num_layers": IntRange(1, 2),
                    "attention_dim": Choice((64, 128)), "dropout": FloatRange(0.1, 0.6), "min_freq": IntRange(1, 5)}

    def __init__(self, vocab_size: int, num_classes: int, padding_idx: int = 0, embedding_dim: int = 128,
                 hidden_dim: int = 256, num_layers: int = 2, dropout: float = 0.5, bidirectional: bool = True,
                 attention_dim: int = 128, embeddings: str = "", freeze_embeddings: bool = False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
        self.use_pretrained(embeddings, freeze_embeddings)
        self.lstm = LengthAwareLSTM(embedding_dim, hidden_dim, num_layers, dropout if num_layers > 1 else 0.0,
                                    bidirectional)
        states = self.lstm.output_dim
        self.attention = nn.Sequential(nn.Linear(states, attention_dim), nn.Tanh(),
                                       nn.Linear(attention_dim, 1, bias=False))
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(states, num_classes)

    def _states_and_weights(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        width = batch.ids.shape[1]
        states, _ = self.lstm(self.embedding(batch.ids), batch.lengths)
        scores = self.attention(states).squeeze(-1)
        real = torch.arange(width, device=scores.device) < batch.lengths.to(scores.device).unsqueeze(1)
        # Softmax in float32 even under autocast: half precision loses small weights of long texts.
        weights = scores.float().masked_fill(~real, float("-inf")).softmax(dim=1)
        return states, weights

    def attention_weights(self, batch) -> torch.Tensor:
        """[B, T] weights; each row sums to 1 over the text's tokens and is 0 on padding."""
        return self._states_and_weights(batch)[1]

    def forward(self, batch) -> torch.Tensor:
        states, weights = self._states_and_weights(batch)
        pooled = torch.bmm(weights.unsqueeze(1).to(states.dtype), states).squeeze(1)
        return self.head(self.dropout(pooled))
