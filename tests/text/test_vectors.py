import gzip
import logging

import numpy as np
import pytest

from textclass.errors import DataError
from textclass.text.vectors import is_binary_format, load_vectors, vectors_dim

VECTORS = {"good": [0.5, 1.0, -1.5], "bad": [-0.25, 2.0, 3.0], "film": [1e-3, 0.0, 7.0]}
WORDS = ["good", "film", "missing", "bad"]


def text_format(header: bool = True, rows=VECTORS) -> str:
    lines = [f"{len(rows)} 3"] if header else []
    lines += [" ".join([word, *map(str, values)]) for word, values in rows.items()]
    return "\n".join(lines) + "\n"


def binary_format(rows=VECTORS, newline: bool = True) -> bytes:
    """word2vec's binary layout, written by hand so the test does not need gensim."""
    out = f"{len(rows)} 3\n".encode()
    for word, values in rows.items():
        out += word.encode() + b" " + np.asarray(values, dtype="<f4").tobytes() + (b"\n" if newline else b"")
    return out


def check(vectors):
    assert vectors.dim == 3
    assert vectors.found.tolist() == [True, True, False, True]
    assert vectors.n_found == 3
    assert vectors.coverage == pytest.approx(0.75)
    for i, word in enumerate(WORDS):
        expected = VECTORS.get(word, [0.0, 0.0, 0.0])
        np.testing.assert_array_equal(vectors.matrix[i], np.asarray(expected, dtype=np.float32))
    assert vectors.matrix.dtype == np.float32


@pytest.mark.parametrize("header", [True, False])
@pytest.mark.parametrize("name", ["v.vec", "v.txt", "v.100d.txt"])
def test_text_format_with_or_without_header(tmp_path, header, name):
    path = tmp_path / name
    path.write_text(text_format(header), encoding="utf-8")
    check(load_vectors(path, WORDS))
    assert vectors_dim(path) == 3


def test_gzipped_text(tmp_path):
    path = tmp_path / "v.vec.gz"
    path.write_bytes(gzip.compress(text_format(header=False).encode()))
    check(load_vectors(path, WORDS))


@pytest.mark.parametrize("newline", [True, False])
def test_word2vec_binary(tmp_path, newline):
    path = tmp_path / "v.bin"
    path.write_bytes(binary_format(newline=newline))
    check(load_vectors(path, WORDS))
    assert vectors_dim(path) == 3


def test_gzipped_binary(tmp_path):
    path = tmp_path / "v.bin.gz"
    path.write_bytes(gzip.compress(binary_format()))
    assert is_binary_format(path)
    check(load_vectors(path, WORDS))


def test_binary_written_by_gensim(tmp_path):
    keyed = pytest.importorskip("gensim.models").KeyedVectors
    kv = keyed(vector_size=3)
    kv.add_vectors(list(VECTORS), np.asarray(list(VECTORS.values()), dtype=np.float32))
    for binary, name in ((True, "g.bin"), (False, "g.vec")):
        kv.save_word2vec_format(str(tmp_path / name), binary=binary)
        check(load_vectors(tmp_path / name, WORDS))


def test_rows_for_other_words_are_not_kept(tmp_path):
    path = tmp_path / "v.vec"
    path.write_text(text_format(), encoding="utf-8")
    vectors = load_vectors(path, ["bad"])
    assert vectors.matrix.shape == (1, 3)
    assert vectors.coverage == 1.0


def test_lowercased_entry_fills_in_but_exact_entry_wins(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("Paris 1 1 1\nBad 9 9 9\nbad 2 2 2\nBAD 8 8 8\n", encoding="utf-8")
    vectors = load_vectors(path, ["paris", "bad"])
    assert vectors.found.all()
    np.testing.assert_array_equal(vectors.matrix, [[1, 1, 1], [2, 2, 2]])


def test_words_with_spaces_and_trailing_spaces(tmp_path):
    # GloVe 840B has tokens with spaces in them; fastText's .vec ends each row with a space.
    path = tmp_path / "v.txt"
    path.write_text("at name@domain.com 1 2 3 \ngood 4 5 6 \n\n", encoding="utf-8")
    vectors = load_vectors(path, ["good", "at name@domain.com"])
    np.testing.assert_array_equal(vectors.matrix, [[4, 5, 6], [1, 2, 3]])


def test_first_occurrence_of_a_duplicated_word_wins(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("good 1 1\ngood 2 2\n", encoding="utf-8")
    np.testing.assert_array_equal(load_vectors(path, ["good"]).matrix, [[1, 1]])


def test_invalid_utf8_does_not_stop_reading(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"caf\xe9 1 1\ngood 2 2\n")
    np.testing.assert_array_equal(load_vectors(path, ["good"]).matrix, [[2, 2]])


@pytest.mark.parametrize("content, message", [
    ("2 3\ngood 1 2 3\nbad 1 2\n", r"v\.txt: line 3: 2 values, expected 3"),
    ("good 1 2 3\nbad 1 2 3 \nfilm 1 2\n", r"line 3: 2 values, expected 3"),
    ("good 1 2 3\nbad 1 2 x\n", r"line 2: 'x' is not a number"),
    ("good 1 2 x\n", r"line 1: 'good 1 2 x' does not end in numbers"),
    ("3 2\ngood 1 2\nbad 1 oops\n", r"line 3: 'oops' is not a number"),
    ("", r"line 1: empty"),
    ("good\n", r"line 1: 'good' does not end in numbers"),
])
def test_malformed_text_names_file_and_line(tmp_path, content, message):
    path = tmp_path / "v.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        load_vectors(path, ["good", "bad"])


def test_truncated_binary_is_an_error(tmp_path):
    path = tmp_path / "v.bin"
    path.write_bytes(binary_format()[:-7])
    with pytest.raises(DataError, match=r"v\.bin: entry 3: the file ends inside it"):
        load_vectors(path, WORDS)


def test_binary_without_header_is_an_error(tmp_path):
    path = tmp_path / "v.bin"
    path.write_bytes(b"good " + np.ones(3, dtype="<f4").tobytes())
    with pytest.raises(DataError, match="binary header"):
        load_vectors(path, WORDS)


def test_fewer_rows_than_the_header_announces_is_a_warning(tmp_path, caplog):
    path = tmp_path / "v.vec"
    path.write_text("5 3\n" + text_format(header=False), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="textclass"):
        check(load_vectors(path, WORDS))
    assert "announces 5 vectors but the file holds 3" in caplog.text


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such vectors file"):
        load_vectors(tmp_path / "nope.vec", WORDS)
