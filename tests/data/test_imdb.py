import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from textclass.data import list_sources, load_source
from textclass.data import imdb
from textclass.errors import DataError

# (path below aclImdb/, text), deliberately out of order: loads must sort by label, then numeric id.
REVIEWS = [
    ("train/pos/10_9.txt", "Loved it.<br /><br />Would watch again."),
    ("train/neg/3_1.txt", "Dull."),
    ("train/pos/2_8.txt", "Café scenes are charming."),
    ("train/neg/1_2.txt", "Too long."),
    ("train/neg/20_4.txt", "Meh."),
    ("test/pos/0_10.txt", "Masterpiece."),
    ("test/neg/0_3.txt", "Awful."),
    ("train/unsup/7_0.txt", "Saw it twice."),
    ("train/unsup/5_0.txt", "No opinion."),
]
EXTRAS = [("README", "about the data"), ("imdb.vocab", "the\nand\n"), ("train/urls_pos.txt", "http://x\n"),
          ("train/labeledBow.feat", "0:1\n")]


def build_archive(path: Path) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, text in EXTRAS + REVIEWS:
            data = text.encode("utf-8")
            member = tarfile.TarInfo(f"aclImdb/{name}")
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    return path


def build_folder(root: Path) -> Path:
    for name, text in EXTRAS + REVIEWS:
        (root / "aclImdb" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "aclImdb" / name).write_text(text, encoding="utf-8")
    return root / "aclImdb"


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    data, cache = tmp_path / "data", tmp_path / "cache"
    data.mkdir()
    monkeypatch.setenv("TEXTCLASS_DATA", str(data))
    monkeypatch.setenv("TEXTCLASS_CACHE", str(cache))
    return data, cache


def check_fake_splits():
    train = load_source("imdb", "train", progress=False)
    assert train.texts == ["Too long.", "Dull.", "Meh.", "Café scenes are charming.",
                           "Loved it.<br /><br />Would watch again."]
    assert train.labels == ["neg", "neg", "neg", "pos", "pos"]
    assert train.origin == "imdb/train"
    test = load_source("imdb", "test", progress=False)
    assert (test.texts, test.labels) == (["Awful.", "Masterpiece."], ["neg", "pos"])
    unsup = load_source("imdb", "unsup", progress=False)
    assert (unsup.texts, unsup.labels) == (["No opinion.", "Saw it twice."], None)


def test_archive_is_prepared_once_then_not_needed(dirs):
    data, cache = dirs
    archive = build_archive(data / imdb.ARCHIVE_NAME)
    check_fake_splits()
    manifest = json.loads((cache / "imdb" / "manifest.json").read_text())
    assert manifest["counts"] == {"train": 5, "test": 2, "unsup": 2}
    assert manifest["source"] == str(archive)
    assert manifest["format_version"] == imdb.CACHE.format_version
    first_row = json.loads((cache / "imdb" / "train.jsonl").read_text().splitlines()[0])
    assert first_row == {"label": "neg", "id": 1, "rating": 2, "text": "Too long."}
    archive.unlink()
    check_fake_splits()
    assert sorted(os.listdir(data)) == []


def test_extracted_folder_is_used_before_an_archive(dirs):
    data, cache = dirs
    build_folder(data)
    (data / imdb.ARCHIVE_NAME).write_bytes(b"not a gzip file")
    check_fake_splits()
    assert json.loads((cache / "imdb" / "manifest.json").read_text())["source"] == str(data / "aclImdb")


def test_archive_in_the_cache_dir_is_found(dirs):
    data, cache = dirs
    cache.mkdir()
    build_archive(cache / imdb.ARCHIVE_NAME)
    check_fake_splits()


def test_download_when_nothing_is_present_checks_md5(dirs, tmp_path, monkeypatch):
    data, cache = dirs
    remote = build_archive(tmp_path / "remote.tar.gz")
    monkeypatch.setattr(imdb, "URL", remote.as_uri())
    monkeypatch.setattr(imdb, "MD5", hashlib.md5(remote.read_bytes()).hexdigest())
    assert "not present" in {s["name"]: s for s in list_sources()}["imdb"]["location"]
    check_fake_splits()
    assert (cache / imdb.ARCHIVE_NAME).read_bytes() == remote.read_bytes()
    assert {s["name"]: s for s in list_sources()}["imdb"]["location"] == f"prepared in {cache / 'imdb'}"


def test_download_with_wrong_md5_keeps_nothing(dirs, tmp_path, monkeypatch):
    data, cache = dirs
    monkeypatch.setattr(imdb, "URL", build_archive(tmp_path / "remote.tar.gz").as_uri())
    with pytest.raises(DataError, match="md5 mismatch"):
        load_source("imdb", "train", progress=False)
    assert list(cache.iterdir()) == []


def test_corrupt_archive_is_a_data_error(dirs):
    data, _ = dirs
    (data / imdb.ARCHIVE_NAME).write_bytes(b"\x1f\x8b truncated")
    with pytest.raises(DataError, match="cannot read the archive"):
        load_source("imdb", "train", progress=False)


def test_missing_split_in_a_partial_folder(dirs):
    data, _ = dirs
    build_folder(data)
    for file in (data / "aclImdb" / "train" / "unsup").iterdir():
        file.unlink()
    assert len(load_source("imdb", "train", progress=False)) == 5
    with pytest.raises(DataError, match="no reviews for split 'unsup'"):
        load_source("imdb", "unsup", progress=False)


def test_status_names_the_archive(dirs):
    data, _ = dirs
    archive = build_archive(data / imdb.ARCHIVE_NAME)
    assert {s["name"]: s for s in list_sources()}["imdb"]["location"] == f"archive {archive}; prepared on first load"


@pytest.mark.e2e
def test_real_archive(tmp_path, monkeypatch):
    data = os.environ.get("TEXTCLASS_DATA")
    if not data or not (Path(data) / imdb.ARCHIVE_NAME).is_file():
        pytest.skip("needs TEXTCLASS_DATA pointing at a folder with aclImdb_v1.tar.gz")
    monkeypatch.setenv("TEXTCLASS_CACHE", str(tmp_path))
    train = load_source("imdb", "train", progress=False)
    assert len(train) == 25000
    assert train.label_counts() == {"neg": 12500, "pos": 12500}
    assert any("<br />" in text for text in train.texts)
    assert len(load_source("imdb", "test", progress=False)) == 25000
    unsup = load_source("imdb", "unsup", progress=False)
    assert len(unsup) == 50000 and unsup.labels is None
