import string

import pytest

from textclass.errors import ConfigError
from textclass.text import TOKENIZERS, default_tokenize, simple_tokenize

REVIEW = ("I LOVED this movie!<br /><br />Wasn't it great? :) The ending :D made me cry...<br/>10/10, "
          "O'Brien's best.<BR>Really?!")


def tutorial_rule(text: str) -> list[str]:
    """The seed tutorial's tokenizer, written independently: keep a-z, 0-9 and whitespace, then split."""
    kept = "".join(c for c in text.lower() if c in string.ascii_lowercase + string.digits or c.isspace())
    return kept.split()


@pytest.mark.parametrize("text", [
    REVIEW,
    "",
    "   ",
    "Don't stop -- it's 100% great!!!",
    "Tabs\tand\nnewlines\r\nsplit",
    "Café naïve résumé ÜBER",  # non-ASCII letters are deleted by the tutorial's rule
    "snake_case and kebab-case and e-mail@example.com",
])
def test_simple_is_the_tutorial_rule(text):
    assert simple_tokenize(text) == tutorial_rule(text)


def test_simple_shows_the_defects_the_default_fixes():
    assert simple_tokenize(REVIEW) == [
        "i", "loved", "this", "moviebr", "br", "wasnt", "it", "great", "the", "ending", "d", "made", "me",
        "crybr1010", "obriens", "bestbrreally",
    ]


def test_default_on_a_review():
    assert default_tokenize(REVIEW) == [
        "i", "loved", "this", "movie", "!", "wasn't", "it", "great", "?", ":)", "the", "ending", ":D", "made",
        "me", "cry", "10", "10", "o'brien's", "best", "really", "?", "!",
    ]


@pytest.mark.parametrize("text", ["a<br />b", "a<br/>b", "a<br>b", "a<BR />b", "a<br  />b", "a<br /><br />b",
                                  "<br />a b<br />"])
def test_default_removes_html_line_breaks(text):
    assert default_tokenize(text) == ["a", "b"]


def test_default_never_yields_br_tokens_from_breaks():
    text = "first<br /><br />second<br/>third<BR>fourth"
    assert default_tokenize(text) == ["first", "second", "third", "fourth"]
    assert "br" not in default_tokenize(text)
    # A real word "br" (or "bra") is still a word.
    assert default_tokenize("br bra") == ["br", "bra"]


@pytest.mark.parametrize("text, expected", [
    ("wow!", ["wow", "!"]),
    ("why?", ["why", "?"]),
    ("nice :)", ["nice", ":)"]),
    ("nice:)", ["nice", ":)"]),
    ("lol :D", ["lol", ":D"]),
    ("sad :( ;-) =] (: <3 :P", ["sad", ":(", ";-)", "=]", "(:", "<3", ":P"]),
])
def test_default_keeps_sentiment_punctuation_and_emoticons(text, expected):
    assert default_tokenize(text) == expected


def test_emoticon_case_is_kept_words_are_lowercased():
    assert default_tokenize("GREAT :D") == ["great", ":D"]
    assert default_tokenize(":p") == [":p"]


@pytest.mark.parametrize("text, expected", [
    ("don't", ["don't"]),
    ("O'Brien isn't here", ["o'brien", "isn't", "here"]),
    ("it’s curly", ["it’s", "curly"]),
    ("'quoted' words'", ["quoted", "words"]),  # outer quotes are not part of a word
])
def test_default_keeps_inner_apostrophes(text, expected):
    assert default_tokenize(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("re:Dan said", ["re", "dan", "said"]),           # not ":D" + "an"
    ("tl;dr", ["tl", "dr"]),                          # not ";d"
    ("see http://example.com", ["see", "http", "example", "com"]),  # no ":/" from "://"
    ("Heat (1995); later", ["heat", "1995", "later"]),  # ")" after a word is a bracket, not a face
    ("the cast(s): ok", ["the", "cast", "s", "ok"]),
])
def test_default_does_not_invent_emoticons_inside_ordinary_text(text, expected):
    assert default_tokenize(text) == expected


def test_default_other_rules():
    assert default_tokenize("") == []
    assert default_tokenize("  \n\t ") == []
    assert default_tokenize("Café naïve 東京") == ["café", "naïve", "東京"]
    assert default_tokenize("snake_case, commas. dots") == ["snake", "case", "commas", "dots"]
    assert default_tokenize("x" * 5 + " 42") == ["xxxxx", "42"]


def test_registry_names_are_versioned():
    assert TOKENIZERS.canonical("default") == "default_v1"
    assert TOKENIZERS.canonical("simple") == "simple_v1"
    assert TOKENIZERS.get("default") is default_tokenize
    assert TOKENIZERS.get("simple_v1") is simple_tokenize
    with pytest.raises(ConfigError, match="unknown tokenizer 'nope'.*default"):
        TOKENIZERS.get("nope")
