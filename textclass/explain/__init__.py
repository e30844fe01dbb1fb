"""Why a model predicted what it did: per-token weights for any text, by the method that suits each family.

``explain(clf, texts)`` returns, per text, ``(token, weight)`` pairs; ``explain_texts`` returns the full
``Explanation`` (the label, the method, and for ``ngram`` the n-grams with their contributions).

- ``ngram``: exact. Its calibrated logits are a sum over the text's n-gram features plus a bias, so each
  feature's share is known exactly (see ``textclass.explain.ngram``); a token's weight adds up the shares of
  the features that cover it.
- ``bilstm_attn``: the attention weights the model pooled its states with (they sum to 1).
- ``bilstm``, ``cnn``, ``transformer``: Integrated Gradients (Sundararajan et al. 2017, via Captum) of the
  predicted class's calibrated logit with respect to the token embeddings, from an all-padding baseline.
"""
from __future__ import annotations

from typing import Sequence

from ..errors import ConfigError
from ..models import MODELS
from .attention import explain_attention
from .base import Explanation
from .gradients import explain_integrated_gradients
from .ngram import explain_ngram

# Keyed by the model's registered (versioned) name: a new family states its method here explicitly.
METHODS = {
    "ngram_v1": explain_ngram,
    "bilstm_attn_v1": explain_attention,
    "bilstm_v1": explain_integrated_gradients,
    "cnn_v1": explain_integrated_gradients,
    "transformer_v1": explain_integrated_gradients,
}


def explain_texts(clf, texts: Sequence[str]) -> list[Explanation]:
    """One ``Explanation`` per text, for the label the classifier predicts (its tuned threshold included)."""
    if isinstance(texts, str):
        raise TypeError("pass a list of texts, not a single string (wrap it: [text])")
    name = MODELS.canonical(clf.model)
    if name not in METHODS:
        raise ConfigError(f"model {name!r} has no explanation method; known: {', '.join(sorted(METHODS))}")
    return METHODS[name](clf, list(texts))


def explain(clf, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
    """Per text, ``(token, weight)`` for each token the model read."""
    return [explanation.tokens for explanation in explain_texts(clf, texts)]


__all__ = ["Explanation", "METHODS", "explain", "explain_texts"]
