"""Any bytes in a CSV, TSV, JSON Lines or fastText file: a dataset, or the project's own error, nothing else."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from textclass.data import read_file
from textclass.errors import TextclassError

from .conftest import bounded

# Pieces that steer the readers into their interesting paths: quoting, separators, every line ending, a BOM,
# JSON syntax, fastText labels, undecodable and NUL bytes.
PIECES = [b'"', b'""', b",", b"\t", b"\n", b"\r", b"\r\n", b"\xef\xbb\xbf", b"text", b"label", b"__label__",
          b"__label__a ", b"{", b"}", b":", b"[", b"]", b'"text"', b'"label"', b'{"text": "x", "label": "y"}',
          b" ", b"\\", b"\x00", b"\xff", b"\xc3", b"\xe2\x80\xa8", b"null", b"1", b"\xed\xa0\x80"]
HEADERS = [b"", b"text,label\r\n", b"text\tlabel\n", b"\xef\xbb\xbftext,label\n", b"a,text,label\n"]

content = st.builds(lambda head, parts: head + b"".join(parts), st.sampled_from(HEADERS),
                    st.lists(st.one_of(st.sampled_from(PIECES), st.binary(max_size=6),
                                       st.text(max_size=6).map(lambda t: t.encode("utf-8", "surrogatepass"))),
                             max_size=40))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz-readers")


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".txt"])
@bounded(150)
@given(data=content, require_labels=st.booleans(), skip_empty=st.booleans())
def test_readers_give_a_dataset_or_a_textclass_error(folder, suffix, data, require_labels, skip_empty):
    path = folder / f"input{suffix}"
    path.write_bytes(data)
    try:
        dataset = read_file(path, require_labels=require_labels, skip_empty=skip_empty)
    except TextclassError as exc:
        assert str(exc)
        return
    assert len(dataset) > 0
    assert all(isinstance(text, str) and (text.strip() or not require_labels or skip_empty) for text in dataset.texts)
    if dataset.labels is not None:
        assert len(dataset.labels) == len(dataset.texts)
        assert all(isinstance(label, str) and label == label.strip() and label for label in dataset.labels)
