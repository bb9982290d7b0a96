"""The command line, end to end in a temporary folder: what it prints, writes and exits with."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import cli
from nnscratch.datasets import load_iris, make_moons, train_test_split

COMMANDS = ["demo", "train", "reproduce", "grid", "compare", "predict", "gradcheck", "info"]
OTHER_COMMANDS = ["export", "sweep"]  # nnscratch/cli/experiments.py


def run(capsys, *argv):
    """``nnscratch ARGV`` in-process: (exit status, stdout, stderr)."""
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str, prefix: str = "nnscratch") -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(prefix) and "error: " in lines[0], err
    assert "Traceback" not in err
    return lines[0]


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def moons_run(tmp_path_factory):
    """One small train run on the moons, shared by the tests that read what it wrote."""
    out = tmp_path_factory.mktemp("moons") / "run"
    argv = [
        "train", "--data", "moons", "--samples", "120", "--noise", "0.25", "--hidden", "6",
        "--activation", "relu", "--optimizer", "adam", "--lr", "0.02", "--l2", "0.001",
        "--epochs", "15", "--batch-size", "16", "--seed", "3", "--output", str(out),
    ]  # fmt: skip
    import contextlib
    import io

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = cli.main(argv)
    return code, stdout.getvalue(), stderr.getvalue(), out


# ---------------------------------------------------------------- help


def test_help_everywhere_has_examples(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in COMMANDS + OTHER_COMMANDS:
        assert command in out
    for command in COMMANDS + OTHER_COMMANDS:
        code, out, err = run(capsys, command, "--help")
        assert code == 0, command
        assert "examples:" in out and f"nnscratch {command}" in out, command
        assert err == ""


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"nnscratch {nn.__version__}"


# ---------------------------------------------------------------- train


def test_train_writes_model_history_and_pictures(moons_run):
    code, out, err, folder = moons_run
    assert code == 0, err
    for name in ("model.npz", "history.csv", "history.json", "loss_curve.png"):
        assert (folder / name).stat().st_size > 0, name
    assert (folder / "decision_boundary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert err == ""  # not a terminal: no progress bar


def test_train_model_reproduces_printed_accuracy(moons_run):
    _, out, _, folder = moons_run
    printed = {
        m.group(1): (float(m.group(2)), float(m.group(3)))
        for m in re.finditer(r"^(train|test): accuracy ([\d.]+)\s+loss ([\d.]+)", out, re.M)
    }
    assert set(printed) == {"train", "test"}
    model = nn.load(folder / "model.npz")
    X, y = make_moons(120, noise=0.25, random_state=3)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=3, stratify=True
    )
    for split, (Xs, ys) in {"train": (X_train, y_train), "test": (X_test, y_test)}.items():
        acc = nn.accuracy(ys, model.predict(Xs))
        assert f"{acc:.4f}" == f"{printed[split][0]:.4f}"
        loss = nn.evaluate(model, nn.SoftmaxCrossEntropy(), Xs, ys)["loss"]
        assert f"{loss:.6f}" == f"{printed[split][1]:.6f}"
    final = json.loads((folder / "history.json").read_text())["final"]
    assert final["test_accuracy"] == nn.accuracy(y_test, model.predict(X_test))
    assert model.metadata["final"] == final


def test_train_history_equals_fit_in_process(moons_run):
    _, _, _, folder = moons_run
    X, y = make_moons(120, noise=0.25, random_state=3)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=3, stratify=True
    )
    model = nn.build_mlp(2, [6], 2, activation="relu", l2=0.001, rng=3)
    history = nn.fit(
        model, nn.SoftmaxCrossEntropy(), nn.Adam(lr=0.02), X_train, y_train,
        epochs=15, batch_size=16, rng=3, validation_data=(X_test, y_test),
    )  # fmt: skip

    saved = json.loads((folder / "history.json").read_text())
    assert saved["epoch"] == history.epoch == list(range(15))
    assert set(saved["history"]) == set(history.keys())
    for key in history.keys():
        assert saved["history"][key] == history[key], key  # exact: floats round-trip
    header, rows = read_csv(folder / "history.csv")
    assert header == ["epoch", *history.keys()]
    assert len(rows) == 15
    for j, key in enumerate(header[1:], start=1):
        assert [float(r[j]) for r in rows] == history[key], key
    # the settings are stored beside the numbers, and the model is the trained one
    settings = saved["settings"]
    assert settings["hidden"] == [6] and settings["seed"] == 3 and settings["batch_size"] == 16
    loaded = nn.load(folder / "model.npz")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_train_standardised_iris_model_takes_raw_features(tmp_path, capsys):
    code, out, err = run(
        capsys, "train", "--data", "iris", "--hidden", "5", "--epochs", "30", "--seed", "1",
        "--output", tmp_path / "iris", "--quiet",
    )  # fmt: skip
    assert code == 0, err
    assert not (tmp_path / "iris" / "decision_boundary.png").exists()  # 4-D data: no picture
    model = nn.load(tmp_path / "iris" / "model.npz")
    assert model.metadata["settings"]["standardize"] is True
    X, y = load_iris()
    _, X_test, _, y_test = train_test_split(X, y, test_size=0.25, random_state=1, stratify=True)
    printed = float(re.search(r"^test: accuracy ([\d.]+)", out, re.M).group(1))
    assert printed > 0.8
    assert f"{nn.accuracy(y_test, model.predict(X_test)):.4f}" == f"{printed:.4f}"


def test_train_regression_diabetes(tmp_path, capsys):
    code, out, err = run(
        capsys, "train", "--data", "diabetes", "--hidden", "4", "--epochs", "20",
        "--output", tmp_path / "d", "--quiet",
    )  # fmt: skip
    assert code == 0, err
    r2 = float(re.search(r"^test: R² (-?[\d.]+)", out, re.M).group(1))
    model = nn.load(tmp_path / "d" / "model.npz")
    final = model.metadata["final"]
    assert f"{final['test_r2']:.4f}" == f"{r2:.4f}"
    assert final["test_r2"] > 0.2  # the target scaling is folded in: predictions in raw units


def test_train_other_options(tmp_path, capsys):
    # full batch, momentum SGD, a linear model (no hidden layer), binary cross-entropy
    code, out, err = run(
        capsys, "train", "--data", "circles", "--samples", "80", "--hidden", "--optimizer",
        "nesterov", "--batch-size", "full", "--loss", "binary_cross_entropy", "--epochs", "5",
        "--log-every", "2", "--test-size", "0", "--output", tmp_path / "c",
    )  # fmt: skip
    assert code == 0, err
    assert "test:" not in out and "train: accuracy" in out
    assert "epoch      4" in out  # the Logger's last line
    model = nn.load(tmp_path / "c" / "model.npz")
    assert len(model.layers) == 1 and model.n_out == 1
    history = json.loads((tmp_path / "c" / "history.json").read_text())
    assert "val_loss" not in history["history"] and history["settings"]["batch_size"] == "full"


def test_train_engine_numba_gives_the_numpy_run(tmp_path, capsys):
    pytest.importorskip("numba")
    histories = {}
    for engine in ("numpy", "numba"):
        code, _, err = run(
            capsys, "train", "--data", "moons", "--samples", "100", "--hidden", "5",
            "--optimizer", "sgd", "--epochs", "20", "--batch-size", "16", "--engine", engine,
            "--output", tmp_path / engine,
        )  # fmt: skip
        assert code == 0, err
        histories[engine] = json.loads((tmp_path / engine / "history.json").read_text())
    assert histories["numba"]["settings"]["engine"] == "numba"
    for key, values in histories["numpy"]["history"].items():
        np.testing.assert_allclose(histories["numba"]["history"][key], values, rtol=1e-12)
    # an optimizer the compiled engine does not run: one line naming it, exit code 1
    code, _, err = run(
        capsys, "train", "--data", "moons", "--optimizer", "rmsprop", "--epochs", "2",
        "--engine", "numba", "--output", tmp_path / "rmsprop",
    )  # fmt: skip
    assert code == 1 and "RMSProp" in one_error_line(err)


def test_train_refuses_existing_files_unless_overwrite(tmp_path, capsys):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "model.npz").write_text("precious")
    argv = ["train", "--epochs", "2", "--samples", "40", "--output", folder, "--quiet"]
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert "--overwrite" in one_error_line(err)
    assert (folder / "model.npz").read_text() == "precious"
    assert not (folder / "history.csv").exists()  # refused before doing any work
    code, _, err = run(capsys, *argv, "--overwrite")
    assert code == 0, err
    nn.load(folder / "model.npz")
    # a folder holding other files is fine: they are left alone
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("keep")
    code, _, _ = run(capsys, *argv[:-3], "--output", tmp_path / "other", "--quiet")
    assert code == 0 and (tmp_path / "other" / "notes.txt").read_text() == "keep"


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--lr", "-1"],
        ["train", "--lr", "abc"],
        ["train", "--epochs", "0"],
        ["train", "--data", "nonsense"],
        ["train", "--batch-size", "half"],
        ["train", "--test-size", "1"],
        ["train", "--hidden", "8", "0"],
        ["train", "--data", "iris", "--samples", "10"],
        ["train", "--loss", "mse"],
        ["train", "--data", "diabetes", "--loss", "softmax_cross_entropy"],
        ["train", "--data", "iris", "--loss", "binary_cross_entropy"],
        ["train", "--unknown-option"],
        ["predict", "model.npz"],
        ["reproduce", "007"],
        ["gradcheck", "--activation", "swish"],
        ["frobnicate"],
        [],
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    assert code == 2
    one_error_line(err)
    assert list(tmp_path.iterdir()) == []  # nothing written


# ---------------------------------------------------------------- predict


def test_predict_labels_and_probabilities(moons_run, tmp_path, capsys):
    folder = moons_run[3]
    model = nn.load(folder / "model.npz")
    points = np.array([[0.0, 0.0], [1.0, 0.5], [-1.0, 0.2], [2.0, -0.3]])
    with_header = tmp_path / "points.csv"
    with_header.write_text("x1,x2\n" + "".join(f"{a},{b}\n" for a, b in points.tolist()) + "\n")
    code, out, err = run(capsys, "predict", folder / "model.npz", with_header)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0] == "prediction"
    assert [int(v) for v in lines[1:]] == model.predict(points).tolist()

    no_header = tmp_path / "raw.csv"
    no_header.write_text("".join(f"{a},{b}\n" for a, b in points.tolist()))
    target = tmp_path / "out" / "proba.csv"
    code, out, err = run(
        capsys, "predict", folder / "model.npz", no_header, "--proba", "--output", target
    )
    assert code == 0, err
    header, rows = read_csv(target)
    assert header == ["proba_0", "proba_1"]
    np.testing.assert_array_equal(np.array(rows, dtype=float), model.predict_proba(points))
    # an existing output is not replaced without --overwrite
    code, _, err = run(capsys, "predict", folder / "model.npz", no_header, "--output", target)
    assert code == 1 and "--overwrite" in one_error_line(err)
    code, _, err = run(
        capsys, "predict", folder / "model.npz", no_header, "--output", target, "--overwrite"
    )
    assert code == 0 and read_csv(target)[0] == ["prediction"]


def test_predict_from_stdin(moons_run, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("0.5,0.25\n"))
    code, out, err = run(capsys, "predict", moons_run[3] / "model.npz", "-")
    assert code == 0, err
    assert out.splitlines()[0] == "prediction" and len(out.splitlines()) == 2


@pytest.mark.parametrize(
    "content, message",
    [
        ("1,2,3\n", "line 1: 3 column(s), but the model takes 2"),
        ("a,b\n1,2\n3\n", "line 3: 1 column(s)"),
        ("1,2\n3,oops\n", "line 2, column 2: 'oops' is not a number"),
        ("1,2\nnan,1\n", "line 2, column 1: nan is not a finite number"),
        ("x1,x2\n", "holds no rows of numbers"),
        ("", "holds no rows of numbers"),
    ],
)
def test_predict_bad_csv_one_line(moons_run, tmp_path, capsys, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    code, _, err = run(capsys, "predict", moons_run[3] / "model.npz", path)
    assert code == 1
    assert message in one_error_line(err)


def test_predict_missing_or_binary_input(moons_run, tmp_path, capsys):
    code, _, err = run(capsys, "predict", moons_run[3] / "model.npz", tmp_path / "nope.csv")
    assert code == 1 and "no input file" in one_error_line(err)
    binary = tmp_path / "image.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    code, _, err = run(capsys, "predict", moons_run[3] / "model.npz", binary)
    assert code == 1 and "not a UTF-8 text CSV" in one_error_line(err)


def test_predict_proba_on_regression_model_is_a_usage_error(tmp_path, capsys):
    model = nn.build_mlp(2, [3], 1, rng=0, loss=nn.MSE())
    nn.save(model, tmp_path / "reg.npz")
    (tmp_path / "p.csv").write_text("1,2\n")
    code, _, err = run(capsys, "predict", tmp_path / "reg.npz", tmp_path / "p.csv", "--proba")
    assert code == 2 and "regression" in one_error_line(err, "nnscratch predict")
    code, out, err = run(capsys, "predict", tmp_path / "reg.npz", tmp_path / "p.csv")
    assert code == 0 and float(out.splitlines()[1]) == model.predict(np.array([[1.0, 2.0]]))[0]


@pytest.mark.parametrize("command", ["predict", "info"])
def test_bad_model_files_exit_1_with_one_line(command, tmp_path, capsys, moons_run):
    (tmp_path / "p.csv").write_text("1,2\n")
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a zip archive at all")
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes((moons_run[3] / "model.npz").read_bytes()[:200])
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, W=np.ones(3))
    cases = {
        tmp_path / "missing.npz": "no model file",
        garbage: "not a usable nnscratch model",
        truncated: "not a usable nnscratch model",
        foreign: "not a usable nnscratch model",
        tmp_path: "folder",
    }
    for path, message in cases.items():
        extra = [tmp_path / "p.csv"] if command == "predict" else []
        code, out, err = run(capsys, command, path, *extra)
        assert code == 1, path
        assert message in one_error_line(err), path


# ---------------------------------------------------------------- info


def test_info_prints_summary_and_metadata(moons_run, capsys):
    path = moons_run[3] / "model.npz"
    code, out, err = run(capsys, "info", path)
    assert code == 0, err
    model = nn.load(path)
    assert model.summary() in out
    assert "settings.activation: relu" in out and "final.test_accuracy:" in out
    code, out, _ = run(capsys, "info", path, "--json")
    assert code == 0
    description = json.loads(out)
    assert description["format"] == "nnscratch-model"
    assert description["metadata"]["settings"]["hidden"] == [6]


# ---------------------------------------------------------------- gradcheck


@pytest.mark.parametrize(
    "activation, loss",
    [
        ("tanh", "softmax_cross_entropy"),
        ("relu", "mse"),
        ("sigmoid", "binary_cross_entropy"),
        ("leaky_relu", "cross_entropy"),
    ],
)
def test_gradcheck_passes(activation, loss, capsys):
    code, out, err = run(
        capsys, "gradcheck", "--hidden", "4", "3", "--activation", activation, "--loss", loss
    )
    assert code == 0, out + err
    assert "passed" in out and "4.W" in out and "FAILED" not in out


def test_gradcheck_fails_above_tolerance(capsys):
    code, out, err = run(capsys, "gradcheck", "--tolerance", "1e-30")
    assert code == 1
    assert "gradient check failed" in one_error_line(err)
    assert "FAILED" in out


# ---------------------------------------------------------------- grid, compare, reproduce, demo


def test_grid_writes_picture_and_table(tmp_path, capsys):
    code, out, err = run(
        capsys, "grid", "--sizes", "1", "3", "--epochs", "300", "--output", tmp_path
    )
    assert code == 0, err
    assert (tmp_path / "grid_hidden_sizes.png").stat().st_size > 0
    header, rows = read_csv(tmp_path / "grid_hidden_sizes.csv")
    assert header == ["hidden", "accuracy", "loss"] and [r[0] for r in rows] == ["1", "3"]
    # the table holds what the seed-000 recipe gives in-process
    X, y = make_moons(200, noise=0.2, random_state=0)
    model = nn.build_mlp(2, [3], 2, activation="tanh", l2=0.01, rng=0)
    loss = nn.SoftmaxCrossEntropy(reduction="sum")
    nn.fit(model, loss, nn.SGD(lr=0.01), X, y, epochs=300)
    assert float(rows[1][1]) == nn.evaluate(model, loss, X, y)["accuracy"]
    assert f"hidden size   3: training accuracy {float(rows[1][1]):.3f}" in out
    code, _, err = run(capsys, "grid", "--sizes", "1", "--epochs", "10", "--output", tmp_path)
    assert code == 1 and "--overwrite" in one_error_line(err)


def test_compare_logistic_regression_and_network(tmp_path, capsys):
    code, out, err = run(capsys, "compare", "--epochs", "500", "--output", tmp_path)
    assert code == 0, err
    assert (tmp_path / "compare_logreg_vs_network.png").stat().st_size > 0
    logreg = float(re.search(r"logistic regression: training accuracy ([\d.]+)", out).group(1))
    network = float(re.search(r"network 2-3-2: +training accuracy ([\d.]+)", out).group(1))
    assert 0.7 < logreg < 0.95 and network > logreg


def test_reproduce_one_seed(tmp_path, capsys):
    code, out, err = run(capsys, "reproduce", "002", "--output", tmp_path, "--quiet")
    assert code == 0, err
    assert "seed 002 done" in out
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("seed002_"))
    code, _, err = run(capsys, "reproduce", "002", "--output", tmp_path, "--quiet")
    assert code == 1 and "--overwrite" in one_error_line(err)
    code, _, err = run(capsys, "reproduce", "002", "--output", tmp_path, "--quiet", "--overwrite")
    assert code == 0, err


def test_demo_writes_picture_and_refuses_to_clobber(tmp_path, capsys):
    code, out, err = run(capsys, "demo", "--epochs", "1001", "--output", tmp_path)
    assert code == 0, err
    # seed 000's own printout: tests/test_seed000.py's oracle figures, as the seed's %f
    assert "Loss after iteration 0: 0.432387\n" in out
    assert "Loss after iteration 1000: 0.068947\n" in out
    assert "training accuracy" in out and err == ""  # no progress bar
    assert (tmp_path / "demo_moons_boundary.png").stat().st_size > 0
    code, _, err = run(capsys, "demo", "--epochs", "10", "--output", tmp_path)
    assert code == 1 and "demo_moons_boundary.png" in one_error_line(err)


# ---------------------------------------------------------------- the top level


def _every_command_runs(run_function):
    """A build_parser whose subcommands all call ``run_function``."""
    real = cli.build_parser

    def build():
        parser = real()
        for action in parser._subparsers._group_actions:
            for sub in action.choices.values():
                sub.set_defaults(run=run_function)
        return parser

    return build


def test_unexpected_errors_are_one_line(monkeypatch, capsys):
    def boom(args):
        raise RuntimeError("something\nbroke")

    monkeypatch.delenv("NNSCRATCH_TRACEBACK", raising=False)
    monkeypatch.setattr(cli, "build_parser", _every_command_runs(boom))
    code, _, err = run(capsys, "gradcheck")
    assert code == 1
    assert "internal error (RuntimeError): something broke" in one_error_line(err)
    monkeypatch.setenv("NNSCRATCH_TRACEBACK", "1")
    with pytest.raises(RuntimeError):
        cli.main(["gradcheck"])


def test_ctrl_c_exits_130(monkeypatch, capsys):
    def interrupt(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", _every_command_runs(interrupt))
    code, _, err = run(capsys, "info", "model.npz")
    assert code == 130 and err.strip() == "nnscratch: interrupted"


def _subprocess(*argv, cwd):
    env = {k: v for k, v in os.environ.items() if k != "NNSCRATCH_TRACEBACK"}
    return subprocess.run(
        [sys.executable, "-m", "nnscratch", *map(str, argv)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_subprocess_exit_codes_and_stderr(tmp_path):
    result = _subprocess("train", "--lr", "abc", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "nnscratch train: error: argument --lr: 'abc' is not a number (see nnscratch train --help)"
    )
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 truncated")
    result = _subprocess("info", "broken.npz", cwd=tmp_path)
    assert result.returncode == 1
    one_error_line(result.stderr)
    assert result.stdout == ""


def test_subprocess_train_then_predict(tmp_path):
    result = _subprocess(
        "train", "--data", "blobs", "--samples", "90", "--epochs", "5", "--output", "b",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    (tmp_path / "p.csv").write_text("0,0\n1,1\n")
    result = _subprocess("predict", "b/model.npz", "p.csv", "--proba", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "proba_0,proba_1,proba_2"


def test_help_is_light():
    code = (
        "import sys; from nnscratch import cli; cli.build_parser().format_help(); "
        "print(','.join(m for m in ('sklearn', 'matplotlib', 'tqdm') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_export_and_sweep_refuse_to_clobber(moons_run, tmp_path, capsys):
    *_, out = moons_run
    target = tmp_path / "m.onnx"
    assert run(capsys, "export", out / "model.npz", "--onnx", target)[0] == 0
    before = target.read_bytes()
    code, _, err = run(capsys, "export", out / "model.npz", "--onnx", target)
    assert code == 1 and "--overwrite" in one_error_line(err)
    assert target.read_bytes() == before
    assert run(capsys, "export", out / "model.npz", "--onnx", target, "--overwrite")[0] == 0
    folder = tmp_path / "sweep"
    folder.mkdir()
    (folder / "sweep.csv").write_text("keep me")
    code, _, err = run(
        capsys, "sweep", "lr=0.1", "--epochs", "2", "--jobs", "1", "--output", folder
    )
    assert code == 1 and "--overwrite" in one_error_line(err)
    assert (folder / "sweep.csv").read_text() == "keep me"
    code, _, err = run(capsys, "sweep", "lr=0.1", "--epochs", "-3")
    assert code == 2 and "at least 1" in err


def test_a_missing_optional_dependency_is_one_line(moons_run, tmp_path, capsys, monkeypatch):
    *_, out = moons_run
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "distributed", None)
    code, _, err = run(capsys, "export", out / "model.npz", "--onnx", tmp_path / "m.onnx")
    assert code == 1 and "pip install 'nnscratch[onnx]'" in one_error_line(err)
    assert not (tmp_path / "m.onnx").exists()
    argv = ["sweep", "lr=0.1", "--scheduler", "tcp://127.0.0.1:1", "--output", tmp_path]
    code, _, err = run(capsys, *argv)
    assert code == 1 and "nnscratch[dask]" in one_error_line(err)


def test_data_names_come_from_the_datasets_module_in_either_spelling(tmp_path, capsys):
    from nnscratch import datasets

    # every name the command offers is a function of nnscratch.datasets
    functions = [*datasets.GENERATED.values(), *datasets.LOADED.values()]
    assert all(callable(getattr(datasets, name, None)) for name in functions)
    histories = []
    for spelling in ("gaussian_quadrants", "gaussian-quadrants"):
        code, _, err = run(
            capsys, "train", "--data", spelling, "--samples", "60", "--epochs", "3",
            "--output", tmp_path / spelling, "--quiet",
        )  # fmt: skip
        assert code == 0, err
        histories.append(json.loads((tmp_path / spelling / "history.json").read_text()))
    assert histories[0]["history"] == histories[1]["history"]
    assert histories[0]["settings"]["data"] == histories[1]["settings"]["data"]
    code, _, err = run(capsys, "train", "--data", "gaussian-quadrats", "--output", tmp_path)
    assert code == 2 and "gaussian_quadrants" in err  # the choices, as the command takes them
