"""Integrated Gradients over token embeddings (Captum), for neural models without a built-in explanation.

The attribution of token t is the path integral, from an all-padding input to the text, of the gradient of the
predicted class's calibrated logit with respect to t's embedding, dotted with the embedding's change. By the
method's completeness property the weights add up (to the accuracy of ``STEPS``) to the logit's change
between the baseline and the text.
"""
from __future__ import annotations

import torch

from ..batching import Batch, iterate_batches
from ..data import TextDataset
from ..errors import ConfigError
from ..models import MODELS
from .base import Explanation, predicted

STEPS = 32

# The layer whose output is "the token embeddings", per model family (keyed by registered name).
EMBEDDING_LAYERS = {
    "bilstm_v1": lambda model: model.embedding,
    "cnn_v1": lambda model: model.embedding,
    "transformer_v1": lambda model: model.hf.get_input_embeddings(),
}
# How ids become readable tokens, per encoder (keyed by registered name).
TOKEN_NAMES = {
    "vocab_v1": lambda encoder, ids: [encoder.vocab.itos[i] for i in ids],
    "hf_v1": lambda encoder, ids: encoder.tokenizer.convert_ids_to_tokens(ids),
}


def _captum():
    try:
        from captum.attr import LayerIntegratedGradients
    except ImportError:
        raise ConfigError("explaining this model needs captum: pip install 'textclass[report]'") from None
    return LayerIntegratedGradients


def explain_integrated_gradients(clf, texts: list[str]) -> list[Explanation]:
    layer_integrated_gradients = _captum()
    classes, decisions = predicted(clf, texts)
    model, pad_id = clf.model_.eval(), clf._pad_id()
    names = TOKEN_NAMES[clf.encoder_.registry_name]
    temperature = clf.temperature_

    def forward(ids, lengths):
        return model(Batch(ids=ids, lengths=lengths)) / temperature

    explainer = layer_integrated_gradients(forward, EMBEDDING_LAYERS[MODELS.canonical(clf.model)](model))
    split = clf._encode(TextDataset(texts), "texts")
    out = [None] * len(texts)
    # One text per batch: no padding, so every step of the path sees exactly the text's tokens.
    for indices, batch in iterate_batches(split, 1, model.input_format, pad_id=pad_id):
        i = int(indices[0])
        attributions = explainer.attribute(batch.ids, baselines=torch.full_like(batch.ids, pad_id),
                                           target=classes[i], additional_forward_args=(batch.lengths,),
                                           n_steps=STEPS, internal_batch_size=STEPS)
        weights = attributions.sum(-1)[0].detach().tolist()
        label, p = decisions[i]
        out[i] = Explanation(texts[i], label, p, "integrated-gradients",
                             list(zip(names(clf.encoder_, batch.ids[0].tolist()), weights)))
    return out
