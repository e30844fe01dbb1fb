"""Tokenizers: text -> list of string tokens. Pure functions, registered under versioned names."""
from __future__ import annotations

import re

from ..registry import Registry

TOKENIZERS: Registry = Registry("tokenizer")

_NON_ALNUM = re.compile(r"[^a-z0-9\s]")


@TOKENIZERS.register("simple_v1", aliases=("simple",))
def simple_tokenize(text: str) -> list[str]:
    """The tutorial's rule: lowercase, delete everything but a-z, 0-9 and whitespace, split.

    Kept for comparison. It glues "don't" into "dont", deletes "!" and ":)", and turns IMDB's
    "<br />" into the token "br" (which is why the default tokenizer exists).
    """
    return _NON_ALNUM.sub("", text.lower()).split()


_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
# Order matters: emoticons before punctuation so ":)" stays whole; words may carry inner apostrophes
# ("don't", "o'brien") because splitting them loses negation, which sentiment depends on.
# Not emoticons: a letter-ended one running into a word ("re:Dan", "tl;dr"), the ":/" of "http://", and a
# closing bracket right after a word ("(1999);", "actor(s):"), which is punctuation, not a face.
_TOKEN = re.compile(
    r"""
    [:;=][\-o\*']?(?:[\)\]\(\[\\|]|/(?!/)|[dDpP](?![^\W_]))   # emoticons such as :) ;-) :D :( =]
    | (?<![^\W_])[\)\]\(\[][\-o\*']?[:;=]                          # and the mirrored ones such as (:
    | <3
    | [^\W_]+(?:['’][^\W_]+)*             # words and numbers, any script, inner apostrophes kept
    | [!?]                                # punctuation that carries sentiment or intent
    """,
    re.VERBOSE,
)


@TOKENIZERS.register("default_v1", aliases=("default",))
def default_tokenize(text: str) -> list[str]:
    """Lowercase words, with HTML line breaks removed and ``!``, ``?`` and emoticons kept as tokens."""
    text = _HTML_BREAK.sub(" ", text)
    tokens = _TOKEN.findall(text)
    # Lowercase after matching so ":D" and ":P" are not confused with ":d" in the pattern, then fold.
    return [t if _is_emoticon(t) else t.lower() for t in tokens]


def _is_emoticon(token: str) -> bool:
    return not token[0].isalnum() and len(token) > 1

