import random

import numpy as np
import pytest

from textclass.augment import EDA
from textclass.augment.eda import (random_deletion, random_insertion, random_swap, split_words,
                                   synonym_replacement, word_key)
from textclass.augment.synonyms import nearest_neighbours
from textclass.errors import ConfigError

TEXT = "The acting was superb, the plot was dull and the ending felt rushed"

# Three tight groups on separate axes, so each word's neighbours are exactly its own group.
GROUPS = [["superb", "brilliant", "terrific"], ["dull", "boring", "tedious"], ["plot", "story", "script"]]


@pytest.fixture
def vectors(tmp_path):
    rows = []
    for g, group in enumerate(GROUPS):
        for j, word in enumerate(group):
            v = np.zeros(4)
            v[g] = 1.0
            v[3] = 0.01 * (j + 1)  # slightly different, never identical
            rows.append(word + " " + " ".join(f"{x:.3f}" for x in v))
    path = tmp_path / "tiny.vec"
    path.write_text(f"{len(rows)} 4\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def fitted(vectors, **kw):
    # Every vectors word but "tedious" occurs in the training texts.
    return EDA(vectors=str(vectors), neighbours=2, **kw).fit([TEXT, "a brilliant story, a boring script",
                                                              "a terrific cast"])


def test_words_keep_their_punctuation_and_html_breaks_are_dropped():
    assert split_words("Great film!<br /><br />Loved it.") == ["Great", "film!", "Loved", "it."]
    assert word_key("(Superb!)") == "superb"
    assert word_key("don't") == "don't"


def test_synonyms_are_nearest_neighbours_among_the_training_words(vectors):
    eda = fitted(vectors)
    for group in (GROUPS[0], GROUPS[2]):
        for word in group:
            assert set(eda.synonyms[word]) == set(group) - {word}
    assert eda.synonyms["dull"][0] == "boring" and eda.synonyms["boring"][0] == "dull"
    assert "tedious" not in eda.synonyms and all("tedious" not in s for s in eda.synonyms.values())
    assert "the" not in eda.synonyms  # stop words are never replaced


def test_nearest_neighbours_is_cosine_and_excludes_self():
    matrix = np.array([[1.0, 0.0], [10.0, 1.0], [0.0, 1.0], [-1.0, 0.0]], dtype=np.float32)
    assert nearest_neighbours(matrix, 2).tolist() == [[1, 2], [0, 2], [1, 0], [2, 1]]


def test_synonym_replacement_replaces_every_occurrence_and_keeps_the_surface():
    synonyms = {"dull": ("boring",), "plot": ("story",)}
    words = "Dull plot, dull cast".split()
    out = synonym_replacement(words, 1, synonyms, random.Random(0))
    assert out in (["Boring", "plot,", "boring", "cast"], ["Dull", "story,", "dull", "cast"])
    assert synonym_replacement(words, 2, synonyms, random.Random(0)) == ["Boring", "story,", "boring", "cast"]


def test_random_insertion_adds_synonyms_of_words_in_the_text():
    words = ["a", "dull", "film"]
    out = random_insertion(words, 2, {"dull": ("boring", "tedious")}, random.Random(3))
    assert len(out) == 5
    extra = list(out)
    for w in words:
        extra.remove(w)
    assert set(extra) <= {"boring", "tedious"}
    assert random_insertion(words, 2, {}, random.Random(3)) == words  # nothing to take synonyms of


def test_random_swap_permutes_without_losing_words():
    words = TEXT.split()
    out = random_swap(words, 1, random.Random(1))
    assert sorted(out) == sorted(words) and out != words
    assert sum(a != b for a, b in zip(out, words)) == 2


def test_random_deletion_drops_words_and_never_empties_a_text():
    words = TEXT.split()
    out = random_deletion(words, 0.5, random.Random(0))
    assert 0 < len(out) < len(words)
    assert all(w in words for w in out)
    assert len(random_deletion(words, 1.0, random.Random(0))) == 1


def test_rate_zero_leaves_text_unchanged(vectors):
    eda = fitted(vectors, alpha=0.0)
    rng = random.Random(0)
    assert all(eda.augment_text(TEXT + " <br />", rng) == TEXT + " <br />" for _ in range(20))


def test_same_seed_same_variants_other_seed_other_variants(vectors):
    texts = [TEXT, "a brilliant story with a boring script and a terrific cast of actors"] * 5
    first = fitted(vectors, alpha=0.2).generate(texts, 2, random.Random(7))
    again = fitted(vectors, alpha=0.2).generate(texts, 2, random.Random(7))
    other = fitted(vectors, alpha=0.2).generate(texts, 2, random.Random(8))
    assert first == again and first != other


def test_each_operation_alone(vectors):
    rng = random.Random(0)
    only = {op: fitted(vectors, alpha=0.2, operations=[op]) for op in ("synonym", "insert", "swap", "delete")}
    n = len(TEXT.split())
    replaced = only["synonym"].augment_text(TEXT, rng).split()
    assert len(replaced) == n and {"brilliant", "terrific", "boring", "tedious", "story", "script"} & set(
        w.strip(",") for w in replaced)
    assert len(only["insert"].augment_text(TEXT, rng).split()) == n + 2
    assert sorted(only["swap"].augment_text(TEXT, rng).split()) == sorted(TEXT.split())
    assert len(only["delete"].augment_text(TEXT, rng).split()) < n


def test_without_vectors_only_swap_and_deletion_run(caplog):
    with caplog.at_level("INFO", logger="textclass.augment"):
        eda = EDA(alpha=0.3).fit([TEXT])
    assert eda.active_operations() == ("swap", "delete")
    assert "only swap and delete run" in caplog.text


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError):
        EDA(alpha=1.5)
    with pytest.raises(ConfigError):
        EDA(operations=["shuffle"])
    with pytest.raises(ConfigError, match="vectors"):
        EDA(operations=["synonym", "insert"])
