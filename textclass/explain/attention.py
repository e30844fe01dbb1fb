"""Attention weights of ``bilstm_attn``: how much each token's state counted in the pooled representation."""
from __future__ import annotations

import torch

from ..batching import iterate_batches
from ..data import TextDataset
from .base import Explanation, predicted


@torch.no_grad()
def explain_attention(clf, texts: list[str]) -> list[Explanation]:
    _, decisions = predicted(clf, texts)
    split = clf._encode(TextDataset(texts), "texts")
    itos, model = clf.encoder_.vocab.itos, clf.model_.eval()
    weights_of = [None] * len(texts)
    for indices, batch in iterate_batches(split, 64, model.input_format, pad_id=clf._pad_id()):
        weights = model.attention_weights(batch)
        for row, i in enumerate(indices):
            n = int(batch.lengths[row])
            weights_of[i] = [(itos[t], float(w)) for t, w in zip(batch.ids[row, :n].tolist(), weights[row, :n].tolist())]
    return [Explanation(text, label, p, "attention", weights_of[i])
            for i, (text, (label, p)) in enumerate(zip(texts, decisions))]
