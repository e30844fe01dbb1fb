"""Explanations as terminal text: tokens tinted by weight (green for the predicted label, red against it)."""
from __future__ import annotations

from .base import Explanation

# 256-colour backgrounds, weakest to strongest.
GREENS = (194, 157, 120, 83)
REDS = (224, 217, 210, 203)
RESET = "\x1b[0m"


def _tint(token: str, weight: float, scale: float) -> str:
    if scale <= 0 or weight == 0:
        return token
    shades = GREENS if weight > 0 else REDS
    level = min(int(abs(weight) / scale * len(shades)), len(shades) - 1)
    return f"\x1b[48;5;{shades[level]}m\x1b[30m{token}{RESET}"


def render(explanation: Explanation, *, color: bool, top: int = 10) -> str:
    scale = max((abs(w) for _, w in explanation.tokens), default=0.0)
    lines = [f"{explanation.label}  {explanation.probability:.4f}  ({explanation.method})"]
    if color:
        lines.append(" ".join(_tint(token, weight, scale) for token, weight in explanation.tokens))
    else:
        lines.append(" ".join(f"{token}[{weight:+.3f}]" for token, weight in explanation.tokens))
    if explanation.features:
        lines.append(f"top {min(top, len(explanation.features))} of {len(explanation.features)} n-grams by "
                     f"|contribution| to the logit of {explanation.label!r} (bias {explanation.bias:+.4f}):")
        lines += [f"  {weight:+.4f}  {name}" for name, weight in explanation.features[:top]]
    else:
        ranked = sorted(explanation.tokens, key=lambda pair: -abs(pair[1]))[:top]
        lines.append("strongest tokens: " + ", ".join(f"{token} {weight:+.3f}" for token, weight in ranked))
    return "\n".join(lines)
