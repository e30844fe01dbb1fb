import json
import os
import subprocess
import sys

import pytest

ISSUE_FLAGS = ("--data", "--train", "--valid", "--test", "--text-column", "--label-column", "--data-dir", "--model",
               "--epochs", "--batch-size", "--lr", "--max-len", "--limit", "--seed", "--out", "--device",
               "--hidden-dim", "--num-layers")


def test_train_writes_a_complete_run(cli_run, topics):
    run, result = cli_run
    assert {"config.json", "labels.json", "vocab.json", "model.safetensors", "metrics.json",
            "history.json"} <= {p.name for p in run.iterdir()}
    assert json.loads((run / "labels.json").read_text()) == ["cooking", "finance", "sports"]
    assert f"saved run to {run}" in result.out
    assert "Test report" in result.out and "accuracy" in result.out


def test_metrics_json_has_the_promised_keys(cli_run, topics):
    run, _ = cli_run
    metrics = json.loads((run / "metrics.json").read_text())
    assert {"accuracy", "macro_f1", "per_class", "labels", "confusion_matrix"} <= set(metrics)
    labels = ["cooking", "finance", "sports"]
    assert metrics["labels"] == labels
    assert set(metrics["per_class"]) == set(labels)
    for stats in metrics["per_class"].values():
        assert set(stats) >= {"precision", "recall", "f1", "support"}
        assert all(0 <= stats[k] <= 1 for k in ("precision", "recall", "f1"))
    test = topics[1]
    assert [metrics["per_class"][label]["support"] for label in labels] == [test.labels.count(x) for x in labels]
    matrix = metrics["confusion_matrix"]
    assert len(matrix) == 3 and all(len(row) == 3 for row in matrix)
    assert sum(map(sum, matrix)) == len(test)
    assert metrics["accuracy"] == pytest.approx(sum(matrix[i][i] for i in range(3)) / len(test))
    assert metrics["accuracy"] >= 0.8  # the tiny task is learnable: the run did train


def test_flags_reach_the_saved_configuration(cli_run):
    run, _ = cli_run
    config = json.loads((run / "config.json").read_text())
    assert config["model"]["name"] == "bilstm_v1"
    assert config["model"]["params"]["hidden_dim"] == 16 and config["model"]["params"]["num_layers"] == 1
    assert config["model"]["params"]["embedding_dim"] == 16
    assert config["encoder"]["params"]["max_len"] == 32 and config["encoder"]["params"]["min_freq"] == 1
    training = config["training"]
    assert (training["epochs"], training["batch_size"], training["lr"], training["seed"]) == (6, 16, 0.01, 3)
    assert len(json.loads((run / "history.json").read_text())) == 6


def test_per_epoch_lines_on_stderr(cli_run):
    _, result = cli_run
    assert "epoch 1/6  train loss" in result.err and "valid loss" in result.err
    assert "kept epoch" in result.err


def test_jsonl_with_named_keys_valid_file_and_limit(cli, topic_files, tmp_path, tiny_cli_flags):
    run = tmp_path / "run"
    result = cli("train", "--train", topic_files["train_jsonl"], "--valid", topic_files["test_jsonl"],
                 "--test", topic_files["test_jsonl"], "--text-column", "msg", "--label-column", "team",
                 "--epochs", 1, "--limit", 30, "--out", run, *tiny_cli_flags)
    assert result.code == 0, result.err
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["n"] == 30  # --limit samples the test split too
    assert "held out" not in result.err  # --valid given: no hold-out from train
    assert "valid: 30 texts" in result.err and "train: 30 texts" in result.err


def test_no_test_file_no_metrics(cli, topic_files, tmp_path, tiny_cli_flags):
    run = tmp_path / "run"
    result = cli("train", "--train", topic_files["train_csv"], "--text-column", "body", "--label-column", "queue",
                 "--epochs", 1, "--limit", 30, "--out", run, *tiny_cli_flags)
    assert result.code == 0, result.err
    assert not (run / "metrics.json").exists() and (run / "model.safetensors").exists()


# ------------------------------------------------------------------------------------------------ bad input


@pytest.fixture
def train_args(topic_files, tmp_path, tiny_cli_flags):
    def args(*extra, train=None):
        return ("train", "--train", train or topic_files["train_csv"], "--text-column", "body", "--label-column",
                "queue", "--epochs", 1, "--out", tmp_path / "run", *tiny_cli_flags, *extra)

    return args


def test_missing_file(cli, train_args, tmp_path, assert_clean_failure):
    missing = tmp_path / "nope.csv"
    result = cli(*train_args(train=missing))
    assert_clean_failure(result, str(missing), "no such file")
    assert not (tmp_path / "run").exists()


def test_missing_column_lists_the_columns(cli, topic_files, tmp_path, assert_clean_failure):
    result = cli("train", "--train", topic_files["train_csv"], "--text-column", "text", "--out", tmp_path / "r")
    assert_clean_failure(result, "no column 'text'", "'id'", "'body'", "'queue'", "train.csv")


def test_missing_label_column(cli, train_args, assert_clean_failure):
    result = cli(*train_args("--label-column", "category"))
    assert_clean_failure(result, "'category'", "'queue'")


def test_empty_dataset(cli, train_args, writers, tmp_path, assert_clean_failure):
    empty = writers.csv(tmp_path / "empty.csv", ["id", "body", "queue"], [])
    assert_clean_failure(cli(*train_args(train=empty)), "empty.csv", "no rows")


def test_unseen_test_label_fails_before_training(cli, train_args, writers, tmp_path, assert_clean_failure):
    test = writers.csv(tmp_path / "test.csv", ["id", "body", "queue"],
                       [(1, "goal team", "sports"), (2, "rain again", "weather")])
    result = cli(*train_args("--test", test))
    assert_clean_failure(result, "'weather'", "test.csv")
    assert "epoch 1/" not in result.err  # said before spending the training time
    assert not (tmp_path / "run").exists()


def test_undecodable_bytes(cli, train_args, tmp_path, assert_clean_failure):
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("id,body,queue\n1,caf\u00e9 goal,sports\n".encode("latin-1"))
    assert_clean_failure(cli(*train_args(train=bad)), "latin1.csv", "line 2", "UTF-8")


def test_empty_text_row_names_file_row_and_field(cli, train_args, writers, tmp_path, assert_clean_failure):
    rows = [(1, "goal team", "sports"), (2, "", "finance"), (3, "bake", "cooking")]
    bad = writers.csv(tmp_path / "holes.csv", ["id", "body", "queue"], rows)
    assert_clean_failure(cli(*train_args(train=bad)), "holes.csv", "row 3", "'body'", "empty text")


def test_skip_empty_counts_the_skipped_rows(cli, train_args, writers, topics, tmp_path):
    train, _ = topics
    rows = [(i, t, y) for i, (t, y) in enumerate(zip(train.texts[:60], train.labels[:60]))]
    rows[5] = (5, "", rows[5][2])
    rows[9] = (9, "   ", rows[9][2])
    holes = writers.csv(tmp_path / "holes.csv", ["id", "body", "queue"], rows)
    result = cli(*train_args("--skip-empty", train=holes))
    assert result.code == 0, result.err
    assert "skipped 2 rows with empty text" in result.err
    assert "held out 6 of 58 training texts" in result.err


def test_out_that_is_not_a_run_fails_before_training(cli, train_args, tmp_path, assert_clean_failure):
    out = tmp_path / "notes.txt"
    out.write_text("keep me")
    args = [a if a != tmp_path / "run" else out for a in train_args()]
    result = cli(*args)
    assert_clean_failure(result, "notes.txt", "not a textclass run")
    assert "epoch 1/" not in result.err and out.read_text() == "keep me"


@pytest.mark.parametrize("flags, fragments", [
    (("--tokenizer", "nonsense"), ("tokenizer", "nonsense")),
    (("--max-len", 0), ("max_len",)),
    (("--hidden-dim", 0), ("bilstm", "hidden")),
    (("--dropout", 1.5), ("bilstm", "dropout")),
])
def test_bad_hyperparameter_values(cli, train_args, flags, fragments, assert_clean_failure):
    result = cli(*train_args(*flags))
    assert_clean_failure(result, *fragments)
    assert "epoch 1/" not in result.err


def test_no_training_data(cli, tmp_path, assert_clean_failure):
    assert_clean_failure(cli("train", "--out", tmp_path / "run"), "--train")


def test_bad_limit_and_epochs(cli, train_args, assert_clean_failure):
    assert_clean_failure(cli(*train_args("--limit", 0)), "--limit")
    assert_clean_failure(cli(*train_args("--epochs", 0)), "epochs")


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="this machine has CUDA")
def test_cuda_requested_without_cuda(cli, train_args, assert_clean_failure):
    assert_clean_failure(cli(*train_args("--device", "cuda")), "CUDA")


def test_exit_code_and_no_traceback_from_the_real_command(tmp_path):
    missing = tmp_path / "missing.csv"
    proc = subprocess.run([sys.executable, "-m", "textclass", "train", "--train", str(missing), "--out",
                           str(tmp_path / "run")], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"error: {missing}: no such file or folder"


def test_help_mentions_every_flag_of_the_issue(cli):
    result = cli("train", "--help")
    assert result.code == 0
    for flag in ISSUE_FLAGS:
        assert flag in result.out, flag
    for group in ("data:", "training (", "model hyperparameters"):
        assert group in result.out


def test_help_gives_each_models_own_training_defaults(cli):
    from textclass.models import MODELS

    out = " ".join(cli("train", "--help").out.split())  # argparse wraps lines
    transformer = MODELS.get("transformer").training_defaults
    assert f"transformer {transformer['epochs']}," in out
    assert f"cnn {MODELS.get('cnn').training_defaults['epochs']}," in out
    assert "L2 weight decay (default: the model's; transformer 0.01, others 0)" in out
    assert "ngram none" in out  # ngram trains without gradient clipping
