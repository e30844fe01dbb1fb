"""Exact contributions of ``ngram``'s features to its prediction.

Member m of the model scores class c as ``z_mc = s * sum_f w_f * E[f, m] . H[m, :, c] + b_mc`` over the text's
features f (``s`` = 1/sqrt(number of features), ``w_f`` the naive-Bayes weight or 1, ``E`` the table, ``H`` and
``b`` the member's head), and the model outputs the members' mean log-softmax. A member's log-softmax differs
from its ``z_m`` by one number shared by all classes, so the output's softmax equals the softmax of the mean
linear logit ``mean_m z_mc``: that mean, centred over classes (softmax ignores a shared shift) and divided by
the run's temperature, is the logit the probabilities come from. It is a sum of one term per feature plus a
bias, and these terms are the contributions reported: adding up all of them and the bias gives the logit back.
"""
from __future__ import annotations

import numpy as np
import torch

from ..data import TextDataset
from ..text.hashing import NgramSpec, hash_features, tokens as hashed_tokens
from ..text.ngram_encoder import parse_char_ngrams
from .base import Explanation, predicted


@torch.no_grad()
def feature_contributions(clf, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows [R], contributions [R, classes], bias [classes]) of the text's distinct feature rows, to the
    centred, calibrated logits; a row the text holds k times (``binary=False``) counts k times."""
    model = clf.model_
    encoded = clf.encoder_.encode([text], name="explained text")
    ids = encoded.values.astype(np.int64)
    rows, counts = np.unique(ids, return_counts=True)
    scale = max(len(ids), 1) ** -0.5
    table = model.feature_rows()[torch.from_numpy(rows)].view(len(rows), model.members, model.width)
    head = model.head_weight - model.head_weight.mean(-1, keepdim=True)  # centred over classes
    per_feature = torch.einsum("rmw,mwc->rc", table, head) / model.members
    weights = torch.from_numpy(counts.astype(np.float32)) * scale
    if model.feature_weights is not None:
        weights = weights * model.feature_weights[torch.from_numpy(rows)]
    contributions = per_feature * weights[:, None] / clf.temperature_
    bias = (model.head_bias - model.head_bias.mean(-1, keepdim=True)).mean(0) / clf.temperature_
    return rows, contributions.double().numpy(), bias.double().numpy()


def _named_features(encoder, words: list[str]) -> list[tuple[str, int, list[int]]]:
    """(name, bucket, token positions covered) of every word n-gram and character n-gram of the tokens."""
    char_min, char_max = parse_char_ngrams(encoder.char_ngrams)
    named = []
    for order in range(1, encoder.word_ngrams + 1):
        grams = [" ".join(words[t : t + order]) for t in range(len(words) - order + 1)]
        if not grams:
            break
        # Hashed alone, an n-gram of ``order`` tokens yields its sub-grams first and itself at position order-1.
        spec = NgramSpec(encoder.num_buckets, order, 1, 0, binary=False)
        hashed = hash_features(grams, spec, workers=1)
        buckets = hashed.values[hashed.offsets[:-1] + order - 1]
        named += [(gram, int(b), list(range(t, t + order))) for t, (gram, b) in enumerate(zip(grams, buckets))]
    if char_max:
        positions = [t for t, w in enumerate(words) if _is_word(w)]
        spec = NgramSpec(encoder.num_buckets, 1, char_min, char_max, binary=False)
        hashed = hash_features([words[t] for t in positions], spec, workers=1)
        for k, t in enumerate(positions):
            marked = b"<" + words[t].encode("utf-8") + b">"
            names = [marked[start : start + size].decode("utf-8", "replace")
                     for size in range(char_min, char_max + 1) for start in range(len(marked) - size + 1)]
            # Position 0 is the word itself; its character n-grams follow in this same order.
            buckets = hashed.values[hashed.offsets[k] + 1 : hashed.offsets[k + 1]]
            named += [(name, int(b), [t]) for name, b in zip(names, buckets)]
    return named


def _is_word(token: str) -> bool:
    return not (len(token) == 1 and not token.isalnum() and token != "'")


def explain_ngram(clf, texts: list[str]) -> list[Explanation]:
    classes, decisions = predicted(clf, texts)
    encoder = clf.encoder_
    out = []
    for text, c, (label, p) in zip(texts, classes, decisions):
        rows, contributions, bias = feature_contributions(clf, text)
        words = hashed_tokens(text)
        by_row: dict[int, tuple[list[str], list[int]]] = {}
        for name, bucket, covered in _named_features(encoder, words):
            slot = np.searchsorted(encoder.buckets, bucket)
            if slot < len(encoder.buckets) and encoder.buckets[slot] == bucket:
                names, positions = by_row.setdefault(int(slot), ([], []))
                if name not in names:
                    names.append(name)
                positions.extend(covered)
        features, token_weights = [], np.zeros(len(words))
        for row, share in zip(rows, contributions[:, c]):
            names, positions = by_row.get(int(row), ([f"#{row}"], []))
            features.append((" | ".join(names), float(share)))
            # A feature's contribution is spread evenly over every token position it covers.
            for t in positions:
                token_weights[t] += share / len(positions)
        features.sort(key=lambda pair: -abs(pair[1]))
        out.append(Explanation(text, label, p, "ngram-exact", list(zip(words, token_weights.tolist())),
                               features, float(bias[c])))
    return out
