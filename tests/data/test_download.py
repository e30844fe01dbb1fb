import hashlib

import pytest

from textclass.data.download import download, file_digest
from textclass.errors import DataError

PAYLOAD = b"some archive bytes\n" * 1000


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "remote" / "archive.tar.gz"
    path.parent.mkdir()
    path.write_bytes(PAYLOAD)
    return path


def test_file_digest_matches_hashlib(source):
    assert file_digest(source, "sha256") == hashlib.sha256(PAYLOAD).hexdigest()
    assert file_digest(source, "md5") == hashlib.md5(PAYLOAD).hexdigest()


def test_download_verifies_and_moves_into_place(source, tmp_path):
    dest = tmp_path / "cache" / "archive.tar.gz"
    result = download(source.as_uri(), dest, sha256=hashlib.sha256(PAYLOAD).hexdigest().upper(),
                      md5=hashlib.md5(PAYLOAD).hexdigest(), progress=False)
    assert result == dest and dest.read_bytes() == PAYLOAD
    assert list(dest.parent.iterdir()) == [dest]


def test_checksum_mismatch_leaves_no_file_and_names_both_digests(source, tmp_path):
    dest = tmp_path / "archive.tar.gz"
    wrong = "0" * 32
    with pytest.raises(DataError) as caught:
        download(source.as_uri(), dest, md5=wrong, progress=False)
    assert wrong in str(caught.value) and hashlib.md5(PAYLOAD).hexdigest() in str(caught.value)
    assert not dest.exists() and not (tmp_path / "archive.tar.gz.part").exists()


def test_unreachable_url_is_a_data_error_and_leaves_no_file(tmp_path):
    dest = tmp_path / "archive.tar.gz"
    with pytest.raises(DataError, match="could not download"):
        download((tmp_path / "absent.tar.gz").as_uri(), dest, progress=False)
    assert list(tmp_path.iterdir()) == []
