import logging

import pytest

from textclass.data import read_file
from textclass.errors import ConfigError, DataError


def write(directory, name, content):
    path = directory / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def test_csv_reads_texts_and_stripped_labels(tmp_path):
    path = write(tmp_path, "a.csv", "text,label\n  good film ,pos \nbad film, neg\n")
    ds = read_file(path)
    assert ds.texts == ["  good film ", "bad film"]
    assert ds.labels == ["pos", "neg"]
    assert ds.origin == str(path)


def test_csv_quoted_field_may_span_lines_and_contain_commas(tmp_path):
    path = write(tmp_path, "a.csv", 'text,label\r\n"line one,\r\nline two",pos\r\n"said ""hi""",neg\r\n')
    ds = read_file(path)
    assert ds.texts == ["line one,\r\nline two", 'said "hi"']
    assert ds.labels == ["pos", "neg"]


def test_csv_error_gives_spreadsheet_row_and_start_line_after_multiline_record(tmp_path):
    path = write(tmp_path, "a.csv", 'text,label\n"two\nlines",pos\n   ,neg\n')
    with pytest.raises(DataError) as caught:
        read_file(path)
    assert (caught.value.path, caught.value.row, caught.value.field) == (path, 3, "text")
    assert "a.csv" in str(caught.value) and "row 3" in str(caught.value) and "line 4" in str(caught.value)


def test_tsv(tmp_path):
    path = write(tmp_path, "a.tsv", "label\ttext\npos\tgreat, really\n")
    ds = read_file(path)
    assert (ds.texts, ds.labels) == (["great, really"], ["pos"])


def test_utf8_bom_is_not_part_of_the_first_column_name(tmp_path):
    path = write(tmp_path, "a.csv", "\ufefftext,label\ncafé,pos\n".encode("utf-8"))
    assert read_file(path).texts == ["café"]


def test_two_column_file_takes_the_other_column_as_label(tmp_path):
    path = write(tmp_path, "train.csv", "text,category\nwhere is my card?,card_arrival\n")
    assert read_file(path).labels == ["card_arrival"]


def test_named_columns(tmp_path):
    path = write(tmp_path, "a.csv", "id,body,intent\n1,hello,greet\n")
    ds = read_file(path, text_column="body", label_column="intent")
    assert (ds.texts, ds.labels) == (["hello"], ["greet"])


def test_missing_column_lists_available_columns(tmp_path):
    path = write(tmp_path, "a.csv", "id,text,intent\n1,hello,greet\n")
    with pytest.raises(DataError) as caught:
        read_file(path)
    message = str(caught.value)
    assert "'label'" in message and "'id', 'text', 'intent'" in message
    assert caught.value.row == 1


def test_missing_text_column(tmp_path):
    path = write(tmp_path, "a.csv", "body,label\nhello,greet\n")
    with pytest.raises(DataError, match="no column 'text'.*'body', 'label'"):
        read_file(path)


def test_unlabeled_file_allowed_for_prediction(tmp_path):
    path = write(tmp_path, "a.csv", "id,text\n1,hello\n2,bye\n")
    ds = read_file(path, require_labels=False)
    assert ds.texts == ["hello", "bye"] and ds.labels is None


def test_missing_label_in_labeled_file(tmp_path):
    path = write(tmp_path, "a.csv", "text,label\nhello,greet\nbye,\n")
    with pytest.raises(DataError) as caught:
        read_file(path)
    assert (caught.value.row, caught.value.field) == (3, "label")


def test_partly_labeled_file_is_an_error_only_when_labels_are_required(tmp_path):
    path = write(tmp_path, "a.csv", "text,label\nhello,\nbye,farewell\n")
    with pytest.raises(DataError, match="missing label"):
        read_file(path)
    unlabeled = read_file(path, require_labels=False)
    assert unlabeled.texts == ["hello", "bye"] and unlabeled.labels is None


def test_allow_empty_keeps_empty_texts_for_prediction(tmp_path):
    path = write(tmp_path, "a.csv", "text\nhello\n\"\"\nbye\n")
    with pytest.raises(DataError, match="empty text"):
        read_file(path, require_labels=False)
    assert read_file(path, require_labels=False, allow_empty=True).texts == ["hello", "", "bye"]


def test_record_with_wrong_field_count(tmp_path):
    path = write(tmp_path, "a.csv", "text,label\nhello, world,greet\n")
    with pytest.raises(DataError, match="3 fields but the header has 2") as caught:
        read_file(path)
    assert caught.value.row == 2


def test_unclosed_quote_is_reported(tmp_path):
    path = write(tmp_path, "a.csv", 'text,label\n"never closed,pos\nnext,neg\n')
    with pytest.raises(DataError, match="malformed"):
        read_file(path)


def test_fields_longer_than_the_csv_default_limit(tmp_path):
    long_text = "word " * 40_000
    path = write(tmp_path, "a.csv", f'text,label\n"{long_text}",pos\n')
    assert read_file(path).texts == [long_text]


def test_empty_text_is_an_error_naming_file_row_and_field(tmp_path):
    path = write(tmp_path, "a.csv", "text,label\nhello,greet\n \t,greet\n")
    with pytest.raises(DataError) as caught:
        read_file(path)
    assert (caught.value.path, caught.value.row, caught.value.field) == (path, 3, "text")


def test_skip_empty_drops_and_counts(tmp_path, caplog):
    path = write(tmp_path, "a.csv", "text,label\nhello,greet\n,greet\n  ,bye\nbye,bye\n")
    with caplog.at_level(logging.INFO, logger="textclass.data"):
        ds = read_file(path, skip_empty=True)
    assert ds.texts == ["hello", "bye"]
    assert ds.notes["skipped_empty"] == 2
    assert "skipped 2" in caplog.text


def test_undecodable_bytes_name_file_and_line(tmp_path):
    path = write(tmp_path, "bad.csv", b"text,label\nfine,pos\nbroken \xff byte,neg\n")
    with pytest.raises(DataError) as caught:
        read_file(path)
    assert "bad.csv" in str(caught.value) and "line 3" in str(caught.value)


@pytest.mark.parametrize("content", ["", "text,label\n", "text,label\r\n\r\n"])
def test_no_rows(tmp_path, content):
    with pytest.raises(DataError, match="no rows"):
        read_file(write(tmp_path, "a.csv", content))


def test_no_rows_left_after_skipping(tmp_path):
    with pytest.raises(DataError, match="no rows"):
        read_file(write(tmp_path, "a.csv", "text,label\n ,pos\n"), skip_empty=True)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file") as caught:
        read_file(tmp_path / "absent.csv")
    assert caught.value.path == tmp_path / "absent.csv"


def test_unknown_suffix_and_unknown_format(tmp_path):
    path = write(tmp_path, "a.xlsx", "x")
    with pytest.raises(DataError, match="format"):
        read_file(path)
    with pytest.raises(ConfigError, match="unknown data format"):
        read_file(path, format="xlsx")


def test_explicit_format_overrides_suffix(tmp_path):
    path = write(tmp_path, "data.dat", '{"text": "hi", "label": "greet"}\n')
    assert read_file(path, format="jsonl").labels == ["greet"]


def test_jsonl(tmp_path):
    path = write(tmp_path, "a.jsonl", '{"text": "hi", "label": "greet"}\n\n{"text": "bye", "label": 3}\n')
    ds = read_file(path)
    assert (ds.texts, ds.labels) == (["hi", "bye"], ["greet", "3"])


def test_ndjson_with_named_keys_and_two_key_guess(tmp_path):
    path = write(tmp_path, "a.ndjson", '{"body": "hi", "intent": "greet"}\n')
    assert read_file(path, text_column="body").labels == ["greet"]


def test_jsonl_bad_json_names_line(tmp_path):
    path = write(tmp_path, "a.jsonl", '{"text": "hi", "label": "greet"}\n{"text": "bye",\n')
    with pytest.raises(DataError, match="not valid JSON") as caught:
        read_file(path)
    assert caught.value.row == 2


def test_jsonl_non_object_and_non_string_text(tmp_path):
    with pytest.raises(DataError, match="JSON object"):
        read_file(write(tmp_path, "a.jsonl", '["hi", "greet"]\n'))
    with pytest.raises(DataError, match="string") as caught:
        read_file(write(tmp_path, "b.jsonl", '{"text": 5, "label": "x"}\n'))
    assert caught.value.field == "text"


def test_jsonl_missing_key_later_lists_keys(tmp_path):
    path = write(tmp_path, "a.jsonl", '{"text": "hi", "label": "a"}\n{"txt": "bye", "label": "b"}\n')
    with pytest.raises(DataError, match="no key 'text'.*'txt', 'label'") as caught:
        read_file(path)
    assert caught.value.row == 2


def test_jsonl_unlabeled_for_prediction(tmp_path):
    path = write(tmp_path, "a.jsonl", '{"text": "hi"}\n{"text": "bye"}\n')
    assert read_file(path, require_labels=False).labels is None
    with pytest.raises(DataError, match="label"):
        read_file(path)


def test_fasttext_format(tmp_path):
    path = write(tmp_path, "a.txt", "__label__pos  great film, 10/10\n__label__neg\tdull __label__x inside\n\n")
    ds = read_file(path)
    assert ds.texts == ["great film, 10/10", "dull __label__x inside"]
    assert ds.labels == ["pos", "neg"]


def test_fasttext_label_set_is_an_error_when_multi_label_is_off(tmp_path):
    path = write(tmp_path, "a.ft", "__label__a ok\n__label__a __label__b text\n")
    with pytest.raises(DataError, match="multi_label is off") as caught:
        read_file(path, multi_label=False)
    assert caught.value.row == 2


def test_fasttext_unlabeled_lines(tmp_path):
    path = write(tmp_path, "a.txt", "just text\nmore text\n")
    assert read_file(path, require_labels=False).labels is None
    with pytest.raises(DataError, match="missing label") as caught:
        read_file(path)
    assert caught.value.row == 1


def make_tree(root):
    for label, name, text in [("pos", "b.txt", "fine <br />film"), ("pos", "a.txt", "good"), ("neg", "z.txt", "bad")]:
        (root / label).mkdir(parents=True, exist_ok=True)
        (root / label / name).write_text(text, encoding="utf-8")
    (root / "pos" / ".hidden.txt").write_text("hidden", encoding="utf-8")
    (root / "pos" / "notes.md").write_text("not a review", encoding="utf-8")
    (root / ".git").mkdir()
    (root / ".git" / "x.txt").write_text("hidden", encoding="utf-8")
    (root / "urls.txt").write_text("not a class", encoding="utf-8")


def test_folder_per_class_tree_in_sorted_order(tmp_path):
    make_tree(tmp_path / "train")
    ds = read_file(tmp_path / "train")
    assert ds.texts == ["bad", "good", "fine <br />film"]
    assert ds.labels == ["neg", "pos", "pos"]


def test_folder_with_undecodable_file_names_it(tmp_path):
    make_tree(tmp_path)
    (tmp_path / "neg" / "broken.txt").write_bytes(b"caf\xe9")
    with pytest.raises(DataError, match="UTF-8") as caught:
        read_file(tmp_path)
    assert caught.value.path == tmp_path / "neg" / "broken.txt"


def test_folder_format_needs_a_folder(tmp_path):
    path = write(tmp_path, "a.csv", "text,label\nx,y\n")
    with pytest.raises(DataError, match="folder"):
        read_file(path, format="folder")


def test_an_empty_class_folder_is_named_in_a_warning(tmp_path, caplog):
    make_tree(tmp_path / "train")
    (tmp_path / "train" / "mixed").mkdir()
    (tmp_path / "train" / "mixed" / "notes.md").write_text("no texts here", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="textclass.data"):
        ds = read_file(tmp_path / "train")
    assert set(ds.labels) == {"neg", "pos"}
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warned == [f"{tmp_path / 'train' / 'mixed'}: no .txt files, so label 'mixed' has no examples in this data"]
