"""ONNX export: every supported stack, in onnxruntime, against predict_proba."""

import argparse
import os
import subprocess
import sys

import numpy as np
import pytest

import nnscratch as nn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from nnscratch.export import check_onnx, to_onnx, to_onnx_model  # noqa: E402

TOLERANCE = {np.float32: 1e-6, np.float64: 1e-12}
DTYPES = [np.float32, np.float64]


def randomize(model, seed=0):
    """Non-zero biases, weights of a trained network's scale (std 1.5/sqrt(n_in)), so every
    operator matters and the outputs are of order one."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        for name, p in layer.params.items():
            scale = 1.5 / np.sqrt(p.shape[0]) if name == "W" else 0.5
            p[...] = rng.normal(scale=scale, size=p.shape).astype(p.dtype)
    return model


def run_onnx(path, X):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": X})[0]


def inputs(n_in, dtype, n=257, seed=1):
    return np.random.default_rng(seed).normal(scale=2.0, size=(n, n_in)).astype(dtype)


# Layer stacks: (name, factory(dtype) -> list of layers, loss factory or None).
def dense(n_in, n_out, dtype, seed):
    return nn.Dense(n_in, n_out, rng=seed, dtype=dtype)


STACKS = {
    "dense": lambda dt: [dense(3, 4, dt, 0)],
    "tanh": lambda dt: [dense(3, 5, dt, 0), nn.Tanh(), dense(5, 4, dt, 1)],
    "sigmoid": lambda dt: [dense(3, 5, dt, 0), nn.Sigmoid(), dense(5, 4, dt, 1)],
    "relu": lambda dt: [dense(3, 5, dt, 0), nn.ReLU(), dense(5, 4, dt, 1)],
    "leaky_relu_0.01": lambda dt: [dense(3, 5, dt, 0), nn.LeakyReLU(0.01), dense(5, 4, dt, 1)],
    "leaky_relu_0.25": lambda dt: [dense(3, 5, dt, 0), nn.LeakyReLU(0.25), dense(5, 4, dt, 1)],
    "identity": lambda dt: [dense(3, 5, dt, 0), nn.Identity(), dense(5, 4, dt, 1)],
    "dropout": lambda dt: [
        dense(3, 5, dt, 0),
        nn.Tanh(),
        nn.Dropout(0.5, rng=0),
        dense(5, 4, dt, 1),
    ],
    "deep_mixed": lambda dt: [
        dense(3, 16, dt, 0),
        nn.Tanh(),
        dense(16, 8, dt, 1),
        nn.ReLU(),
        nn.Dropout(0.2, rng=0),
        dense(8, 8, dt, 2),
        nn.LeakyReLU(0.1),
        dense(8, 6, dt, 3),
        nn.Sigmoid(),
        dense(6, 4, dt, 4),
    ],
}

LOSSES = {
    "softmax_ce": nn.SoftmaxCrossEntropy,
    "sigmoid_bce": nn.SigmoidBinaryCrossEntropy,
    "mse": nn.MSE,
    "no_loss": lambda: None,
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("loss_name", list(LOSSES))
@pytest.mark.parametrize("stack", list(STACKS))
def test_stack_matches_predict_proba(tmp_path, stack, loss_name, dtype):
    model = randomize(nn.Sequential(*STACKS[stack](dtype), loss=LOSSES[loss_name]()))
    path = to_onnx(model, tmp_path / "model.onnx")
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    for n in (1, 257):
        X = inputs(3, dtype, n)
        got = run_onnx(path, X)
        expected = model.decision_function(X) if model.loss is None else model.predict_proba(X)
        assert got.dtype == dtype and got.shape == expected.shape == (n, 4)
        np.testing.assert_allclose(got, expected, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_unfused_softmax_with_cross_entropy(tmp_path, dtype):
    layers = [dense(2, 6, dtype, 0), nn.Tanh(), dense(6, 3, dtype, 1), nn.Softmax()]
    model = randomize(nn.Sequential(*layers, loss=nn.CrossEntropy()))
    path = to_onnx(model, tmp_path / "m.onnx")
    X = inputs(2, dtype)
    got = run_onnx(path, X)
    np.testing.assert_allclose(got, model.predict_proba(X), rtol=0, atol=TOLERANCE[dtype])
    ops = [node.op_type for node in onnx.load(str(path)).graph.node]
    assert ops == ["Gemm", "Tanh", "Gemm", "Softmax"]  # CrossEntropy adds no link


def test_graph_operators_names_and_metadata(tmp_path):
    model = nn.build_mlp(2, [8, 4], 3, activation=["tanh", "relu"], dropout=0.1, rng=0)
    model.loss = nn.SoftmaxCrossEntropy()
    proto = to_onnx_model(model)
    assert [n.op_type for n in proto.graph.node] == [
        "Gemm", "Tanh", "Gemm", "Relu", "Gemm", "Softmax",
    ]  # fmt: skip
    assert proto.graph.input[0].name == "input"
    assert proto.graph.output[0].name == "probabilities"
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "N" and dims[1].dim_value == 2
    assert proto.producer_name == "nnscratch"
    props = {p.key: p.value for p in proto.metadata_props}
    assert props["loss"] == "SoftmaxCrossEntropy" and props["dtype"] == "float64"
    assert proto.opset_import[0].version == 17
    # The weights are stored as (n_in, n_out), exactly the model's arrays.
    W = onnx.numpy_helper.to_array(proto.graph.initializer[0])
    np.testing.assert_array_equal(W, model.layers[0].W)

    model.loss = nn.MSE()
    assert to_onnx_model(model).graph.output[0].name == "output"
    model.loss = None
    assert to_onnx_model(model).graph.output[0].name == "output"


def test_leaky_relu_slope_kept_exactly_in_float64():
    model = nn.Sequential(
        dense(2, 3, np.float64, 0), nn.LeakyReLU(0.01), dense(3, 2, np.float64, 1)
    )
    ops = [n.op_type for n in to_onnx_model(model).graph.node]
    assert ops == ["Gemm", "PRelu", "Gemm"]  # 0.01 is not a float32: alpha would round it
    model.layers[1] = nn.LeakyReLU(0.25)
    assert [n.op_type for n in to_onnx_model(model).graph.node][1] == "LeakyRelu"
    model32 = nn.Sequential(
        dense(2, 3, np.float32, 0), nn.LeakyReLU(0.01), dense(3, 2, np.float32, 1)
    )
    assert [n.op_type for n in to_onnx_model(model32).graph.node][1] == "LeakyRelu"


def test_trained_model_and_check_onnx(tmp_path):
    from nnscratch.datasets import make_moons

    X, y = make_moons(200, noise=0.2, random_state=0)
    model = nn.build_mlp(2, [8], 2, activation="tanh", rng=0)
    nn.fit(model, nn.SoftmaxCrossEntropy(), nn.Adam(lr=0.05), X, y, epochs=100)
    path = to_onnx(model, tmp_path / "moons.onnx")
    assert check_onnx(model, path) < 1e-12
    assert check_onnx(model, path, X) < 1e-12
    assert np.array_equal(run_onnx(path, X).argmax(axis=1), model.predict(X))
    # Round trip through nnscratch's own file format exports the same graph.
    nn.save(model, tmp_path / "moons.npz")
    again = to_onnx(nn.load(tmp_path / "moons.npz"), tmp_path / "again.onnx")
    assert again.read_bytes() == path.read_bytes()


# ---------------------------------------------------------------- estimators
estimators = pytest.importorskip("nnscratch.estimators")


def _fit_quietly(estimator, X, y):
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


ESTIMATOR_CASES = {
    "binary": lambda X: (estimators.MLPClassifier, (X[:, 0] > 0).astype(int)),
    "multiclass_strings": lambda X: (
        estimators.MLPClassifier,
        np.array(["ant", "bee", "cat"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0)],
    ),
    "multilabel": lambda X: (
        estimators.MLPClassifier,
        np.c_[X[:, 0] > 0, X[:, 1] > 0, X[:, 2] > 0].astype(int),
    ),
    "regression": lambda X: (estimators.MLPRegressor, X @ np.array([1.0, -2.0, 0.5])),
    "regression_2_outputs": lambda X: (estimators.MLPRegressor, np.c_[X[:, 0], X[:, 1] ** 2]),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("case", list(ESTIMATOR_CASES))
def test_estimators_export(tmp_path, case, dtype):
    X = inputs(3, dtype, n=120, seed=3)
    cls, y = ESTIMATOR_CASES[case](X)
    estimator = _fit_quietly(
        cls(hidden_layer_sizes=(6, 5), max_iter=30, random_state=0, activation="tanh"), X, y
    )
    path = to_onnx(estimator, tmp_path / "est.onnx")
    got = run_onnx(path, X.astype(estimator.model_.dtype))
    if hasattr(estimator, "predict_proba"):
        expected = estimator.predict_proba(X)
        assert got.shape == expected.shape
        classes = {p.key: p.value for p in onnx.load(str(path)).metadata_props}["classes"]
        assert classes.startswith("[")
    else:
        expected = estimator.predict(X).reshape(len(X), -1)
    tol = TOLERANCE[np.float32 if estimator.model_.dtype == np.float32 else np.float64]
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


def test_unfitted_estimator_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not fitted"):
        to_onnx(estimators.MLPClassifier(), tmp_path / "x.onnx")


# ---------------------------------------------------------------- refusals and files
class ScaledTanh(nn.Tanh):
    def function(self, z):
        return 2 * np.tanh(z)


class MyLoss(nn.MSE):
    pass


def test_unsupported_layer_is_refused(tmp_path):
    model = nn.Sequential(dense(2, 3, np.float64, 0), ScaledTanh(), dense(3, 2, np.float64, 1))
    with pytest.raises(TypeError, match="cannot export layer 1, ScaledTanh"):
        to_onnx(model, tmp_path / "x.onnx")
    assert not list(tmp_path.iterdir())


def test_custom_loss_and_non_models_are_refused(tmp_path):
    model = nn.Sequential(dense(2, 3, np.float64, 0), loss=MyLoss())
    with pytest.raises(TypeError, match="custom loss MyLoss"):
        to_onnx(model, tmp_path / "x.onnx")
    with pytest.raises(TypeError, match="Sequential"):
        to_onnx("model.npz", tmp_path / "x.onnx")
    with pytest.raises(ValueError, match="opset"):
        to_onnx_model(nn.Sequential(dense(2, 3, np.float64, 0)), opset=12)


def test_file_is_written_atomically(tmp_path):
    model = nn.Sequential(dense(2, 3, np.float64, 0), loss=nn.MSE())
    target = tmp_path / "m.onnx"
    target.write_bytes(b"previous")
    bad = nn.Sequential(dense(2, 3, np.float64, 0), ScaledTanh())
    with pytest.raises(TypeError):
        to_onnx(bad, target)
    assert target.read_bytes() == b"previous"  # a refused model never clobbers a file
    to_onnx(model, target)
    assert onnx.load(str(target)).graph.output[0].name == "output"
    assert sorted(os.listdir(tmp_path)) == ["m.onnx"]  # no temporary files left
    with pytest.raises(ValueError, match="folder"):
        to_onnx(model, tmp_path)
    with pytest.raises(FileNotFoundError):
        to_onnx(model, tmp_path / "missing" / "m.onnx")


def test_missing_onnx_is_explained(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if not installed
    model = nn.Sequential(dense(2, 3, np.float64, 0))
    with pytest.raises(ImportError, match=r"pip install 'nnscratch\[onnx\]'"):
        to_onnx_model(model)


def test_import_does_not_load_onnx():
    code = (
        "import sys, nnscratch.export, nnscratch.sweeps, nnscratch.cli.experiments; "
        "heavy = ('onnx', 'onnxruntime', 'joblib', 'dask', 'distributed', 'sklearn', "
        "'matplotlib', 'scipy'); print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- command line
def cli(argv):
    from nnscratch.cli.experiments import add_export_parser

    parser = argparse.ArgumentParser(prog="nnscratch")
    add_export_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.run(args)


def test_cli_export(tmp_path, capsys):
    model = randomize(nn.build_mlp(2, [5], 1, activation="relu", rng=0))
    model.loss = nn.SigmoidBinaryCrossEntropy()
    nn.save(model, tmp_path / "m.npz")
    out = tmp_path / "m.onnx"
    assert cli(["export", str(tmp_path / "m.npz"), "--onnx", str(out), "--verify"]) == 0
    printed = capsys.readouterr().out
    assert "Gemm -> Relu -> Gemm -> Sigmoid" in printed and "'probabilities'" in printed
    assert "onnxruntime agrees" in printed
    X = inputs(2, np.float64)
    np.testing.assert_allclose(run_onnx(out, X), model.predict_proba(X), rtol=0, atol=1e-12)


def test_cli_export_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        cli(["export", str(tmp_path / "none.npz"), "--onnx", str(tmp_path / "m.onnx")])
    (tmp_path / "junk.npz").write_bytes(b"not a model")
    with pytest.raises(nn.ModelFileError):
        cli(["export", str(tmp_path / "junk.npz"), "--onnx", str(tmp_path / "m.onnx")])
    with pytest.raises(SystemExit):
        cli(["export", str(tmp_path / "junk.npz")])  # --onnx is required
