"""Property-based: whatever a learner passes to the public API, it works or is refused clearly.

Every call below ends in one of two ways:

* it works, and the result is right: finite predictions of the right shape,
  probabilities that sum to one, labels among the classes, a finite history;
* it raises ``ValueError`` or ``TypeError`` whose message names the problem.

Anything else (an ``IndexError`` from deep inside, a ``RuntimeWarning``,
which pytest turns into an error here, a NaN handed back) fails the test.
Inputs built to be valid must work, and inputs built to be wrong must be
refused: the oracle is how each input was made, not a second implementation.

``hypothesis.event`` tags every outcome; ``--hypothesis-show-statistics``
prints the counts that docs/promises.md reports (profile ``thorough`` in
tests/conftest.py).
"""

from __future__ import annotations

import json
import numbers
import os
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import event, given, note
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnscratch as nn

try:
    import pandas as pd
except ImportError:  # pandas is in the test extra; without it, frames are not tried
    pd = None

REFUSALS = (ValueError, TypeError)

# ---------------------------------------------------------------- values

SPECIAL = [
    0.0,
    -0.0,
    1e-310,
    -1e-300,
    1e-150,
    1e150,
    -1e150,
    1e300,
    -1e308,
    np.nan,
    np.inf,
    -np.inf,
]
FLOATS = st.one_of(st.floats(), st.sampled_from(SPECIAL))
FINITE = st.one_of(
    st.floats(-1e6, 1e6, allow_subnormal=True),
    st.sampled_from([0.0, 1e-310, -1e-300, 1e-150, 1e30, -1e30, 1e150, -1e150, 1e300, -1e300]),
)
MODERATE = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
DTYPES = [
    "float64", "float32", "float16", "int64", "int8", "uint64", "bool",
    "complex128", "U3", "S2", "O", "datetime64[s]",
]  # fmt: skip


@st.composite
def any_array(draw, max_dims=3):
    """An array of any dtype and shape (0-d to 3-d, empty sides included), extremes included."""
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=0, max_side=5))
    if dtype == np.float64:
        elements = FLOATS
    elif dtype.kind == "O":
        elements = st.one_of(FLOATS, st.text(max_size=2), st.none())
    elif dtype.kind == "f":
        elements = hnp.from_dtype(dtype, allow_nan=True, allow_infinity=True)
    else:
        elements = None
    return draw(hnp.arrays(dtype, shape, elements=elements))


@st.composite
def anything(draw, max_dims=3):
    """What a learner might pass: arrays, nested lists, frames, scalars, strings, None."""
    kinds = ["table", "table", "array", "list", "frame", "scalar", "string", "none", "ragged"]
    kind = draw(st.sampled_from(kinds))
    event(f"input kind: {kind}")
    if kind == "table":  # nearly right: a few rows of 2 or 3 columns, any real dtype
        dtype = draw(st.sampled_from(["float64", "float32", "int64", "bool"]))
        shape = (draw(st.integers(0, 5)), draw(st.integers(2, 3)))
        elements = FLOATS if dtype == "float64" else None
        table = draw(hnp.arrays(np.dtype(dtype), shape, elements=elements))
        return draw(st.sampled_from([table, table.tolist()]))
    if kind == "array":
        return draw(any_array(max_dims))
    if kind == "list":
        return draw(any_array(max_dims)).tolist()
    if kind == "frame":
        if pd is None:
            return draw(any_array(2))
        array = draw(any_array(2))
        return pd.DataFrame(array) if array.ndim == 2 else pd.Series(array.reshape(-1))
    if kind == "scalar":
        return draw(st.one_of(FLOATS, st.integers(), st.booleans()))
    if kind == "string":
        return draw(st.text(max_size=8))
    if kind == "none":
        return None
    return [[1.0, 2.0, 3.0], [4.0]]  # ragged rows


def matrix(n_features, elements=FINITE, min_rows=1, max_rows=8):
    """A valid 2-D sample matrix (finite values, possibly huge or tiny)."""
    return st.integers(min_rows, max_rows).flatmap(
        lambda n: hnp.arrays(np.float64, (n, n_features), elements=elements)
    )


OUTCOMES: Counter = Counter()  # (test, outcome) -> calls, for docs/promises.md


@pytest.fixture(scope="module", autouse=True)
def _write_outcomes():
    """With NNSCRATCH_OUTCOMES=file.json, write the count of every call's outcome there."""
    yield
    target = os.environ.get("NNSCRATCH_OUTCOMES")
    if target:
        rows = [[test, outcome, n] for (test, outcome), n in sorted(OUTCOMES.items())]
        Path(target).write_text(json.dumps(rows, indent=1))


def result(call):
    """('ok', value) or ('refused', error); any other exception or warning fails the test."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").split("::")[-1].split(" ")[0]
    try:
        value = call()
    except REFUSALS as exc:
        message = str(exc)
        note(f"refused: {type(exc).__name__}: {message}")
        assert len(message) > 15, f"an unhelpful message: {message!r}"
        event(f"refused ({type(exc).__name__})")
        OUTCOMES[test, f"refused ({type(exc).__name__})"] += 1
        return "refused", exc
    event("works")
    OUTCOMES[test, "works"] += 1
    return "ok", value


def is_valid_X(value, n_features, dtype) -> bool:
    """The documented rule: 2-D, >= 1 row, n_features columns, real, finite, fits the dtype."""
    if isinstance(value, (str, bytes)):
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            array = np.asarray(value)
    except (ValueError, TypeError):
        return False
    if array.dtype.kind == "O":  # objects that are all real numbers (pandas' mixed frames)
        if not all(isinstance(v, numbers.Real) for v in array.flat):
            return False
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                array = array.astype(np.float64)
        except OverflowError:
            return False
    if array.dtype.kind not in "biuf" or array.ndim != 2:
        return False
    if array.shape[0] == 0 or array.shape[1] != n_features:
        return False
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        return False
    with np.errstate(over="ignore"):
        return bool(np.isfinite(array.astype(dtype)).all())


def overflow_refusal(error) -> bool:
    return isinstance(error, ValueError) and "overflow" in str(error)


# ---------------------------------------------------------------- prediction

MODELS = {
    dtype: nn.build_mlp(3, [5, 4], 3, activation="tanh", rng=0, dtype=dtype, loss=nn.SoftmaxCrossEntropy())
    for dtype in (np.float64, np.float32)
}  # fmt: skip


def check_probabilities(proba, n):
    assert proba.shape == (n, 3)
    assert np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)


@given(X=anything(), dtype=st.sampled_from([np.float64, np.float32]))
def test_predict_on_anything(X, dtype):
    model = MODELS[dtype]
    valid = is_valid_X(X, 3, dtype)
    event(f"X valid: {valid}")
    for method in (model.predict_proba, model.predict, model.decision_function):
        status, value = result(lambda method=method: method(X))
        if not valid:
            assert status == "refused", f"{method.__name__} accepted an invalid X"
            assert "X" in str(value), value
            continue
        if status == "refused":
            # finite inputs may still overflow inside the network: that is named, never NaN
            assert overflow_refusal(value), value
            continue
        n = np.asarray(X).shape[0]
        assert np.isfinite(value).all() and len(value) == n
        if method == model.predict_proba:
            check_probabilities(value, n)
        if method == model.predict:
            assert set(np.unique(value)) <= {0, 1, 2}


@given(X=matrix(3, MODERATE), dtype=st.sampled_from([np.float64, np.float32]))
def test_predict_on_moderate_values_always_works(X, dtype):
    model = MODELS[dtype]
    check_probabilities(model.predict_proba(X), len(X))
    assert model.predict(X.tolist()).dtype.kind == "i"
    if pd is not None:
        np.testing.assert_array_equal(model.predict(pd.DataFrame(X)), model.predict(X))


@pytest.mark.skipif(pd is None, reason="needs pandas")
def test_pandas_frames_of_mixed_columns_are_numbers():
    """An Int64 and a bool column make NumPy see objects: they are numbers all the same."""
    model = MODELS[np.float64]
    frame = pd.DataFrame(
        {"a": pd.array([1, 2], dtype="Int64"), "b": [True, False], "c": [0.5, 1.5]}
    )
    assert np.asarray(frame).dtype == object
    expected = model.predict_proba([[1, 1, 0.5], [2, 0, 1.5]])
    np.testing.assert_array_equal(model.predict_proba(frame), expected)
    frame.loc[1, "a"] = pd.NA
    with pytest.raises(
        ValueError, match=r"X has missing values \(None or NA\), the first at index \(1, 0\)"
    ):
        model.predict(frame)
    frame["a"] = ["x", "y"]
    with pytest.raises(TypeError, match=r"objects such as 'x' \(str\) at index \(0, 0\)"):
        model.predict(frame)


@given(X=matrix(3, FINITE))
def test_huge_inputs_give_finite_outputs_or_a_named_overflow(X):
    # tanh saturates, so a float64 tanh network never overflows on finite inputs
    check_probabilities(MODELS[np.float64].predict_proba(X), len(X))
    relu = nn.build_mlp(3, [8, 8], 2, activation="relu", rng=1, loss=nn.MSE())
    status, value = result(lambda: relu.predict(X))
    assert status == "ok" and np.isfinite(value).all() or overflow_refusal(value)


# ---------------------------------------------------------------- fit and labels

LABEL_KINDS = {
    # kind: (builder(n, rng) -> y, valid for 3 classes?)
    "labels": (lambda n, r: r.randint(0, 3, n), True),
    "labels with a gap": (lambda n, r: r.choice([0, 2], n), True),
    "a single class": (lambda n, r: np.full(n, 1), True),
    "whole floats": (lambda n, r: r.randint(0, 3, n).astype(float), True),
    "bools": (lambda n, r: r.randint(0, 2, n).astype(bool), True),
    "a list": (lambda n, r: r.randint(0, 3, n).tolist(), True),
    "a column (N, 1)": (lambda n, r: r.randint(0, 3, (n, 1)), True),
    "one-hot": (lambda n, r: np.eye(3)[r.randint(0, 3, n)], True),
    "probability rows": (lambda n, r: r.dirichlet(np.ones(3), n), True),
    "a pandas Series": (
        lambda n, r: r.randint(0, 3, n) if pd is None else pd.Series(r.randint(0, 3, n)),
        True,
    ),
    "negative labels": (lambda n, r: np.r_[-1, r.randint(0, 3, n - 1)], False),
    "a label too large": (lambda n, r: np.r_[3, r.randint(0, 3, n - 1)], False),
    "a huge label": (lambda n, r: np.r_[1e20, np.zeros(n - 1)], False),
    "uint64 max": (lambda n, r: np.full(n, 2**64 - 1, dtype=np.uint64), False),
    "fractional floats": (lambda n, r: r.randint(0, 3, n) + 0.5, False),
    "NaN": (lambda n, r: np.r_[np.nan, np.zeros(n - 1)], False),
    "infinity": (lambda n, r: np.r_[np.inf, np.zeros(n - 1)], False),
    "strings": (lambda n, r: np.array(["cat", "dog", "eel"])[r.randint(0, 3, n)], False),
    "objects": (lambda n, r: np.array([None] * n, dtype=object), False),
    "None": (lambda n, r: None, False),
    "a scalar": (lambda n, r: 1, False),
    "3-d": (lambda n, r: np.zeros((n, 3, 1)), False),
    "one too few": (lambda n, r: r.randint(0, 3, n - 1), False),
    "one-hot with 4 columns": (lambda n, r: np.eye(4)[r.randint(0, 4, n)], False),
    "rows not summing to 1": (lambda n, r: np.full((n, 3), 0.5), False),
    "negative probabilities": (lambda n, r: np.tile([1.5, -0.5, 0.0], (n, 1)), False),
}

OPTIMIZERS = [
    lambda lr: nn.SGD(lr),
    lambda lr: nn.SGD(lr, momentum=0.9, nesterov=True),
    lambda lr: nn.Adam(lr),
    lambda lr: nn.RMSProp(lr),
    lambda lr: nn.AdaGrad(lr),
]


def fit_outcome(model, loss, optimizer, X, y, **kwargs):
    """Run fit; a divergence is an outcome too (a DivergenceWarning, weights kept finite)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", nn.DivergenceWarning)
        status, value = result(lambda: nn.fit(model, loss, optimizer, X, y, **kwargs))
    if status == "ok" and value.diverged:
        event("diverged (stopped with a message)")
        assert [w.category for w in caught] == [nn.DivergenceWarning]
        assert "smaller learning rate" in value.stop_reason and "epoch" in value.stop_reason
    else:
        assert caught == []
    return status, value


def check_trained(model, history, X):
    assert all(np.isfinite(p).all() for p in model.parameters())
    assert len(history) >= 1 or history.diverged  # a later batch of epoch 0 may diverge
    assert all(np.isfinite(history[key]).all() for key in history.keys())
    status, value = result(lambda: model.predict_proba(X))
    assert (status == "ok" and np.isfinite(value).all()) or overflow_refusal(value)


@given(
    X=matrix(2, MODERATE, min_rows=2),
    kind=st.sampled_from(sorted(LABEL_KINDS)),
    seed=st.integers(0, 2**16),
    optimizer=st.sampled_from(OPTIMIZERS),
    lr=st.sampled_from([1e-3, 0.1, 10.0, 1e6]),
    batch_size=st.sampled_from([None, 1, 3]),
)
def test_fit_on_labels_of_every_kind(X, kind, seed, optimizer, lr, batch_size):
    build, valid = LABEL_KINDS[kind]
    event(f"labels: {kind}")
    y = build(len(X), np.random.RandomState(seed))
    model = nn.build_mlp(2, [4], 3, activation="tanh", rng=seed)
    status, value = fit_outcome(
        model, nn.SoftmaxCrossEntropy(), optimizer(lr), X, y, epochs=3, batch_size=batch_size
    )
    assert status == ("ok" if valid else "refused"), value
    if status == "refused":
        assert any(word in str(value) for word in ("target", "label", "y ")), value
        return
    check_trained(model, value, X)
    assert set(np.unique(model.predict(X))) <= {0, 1, 2}


@given(X=anything(), y=anything(max_dims=2), loss_index=st.integers(0, 2))
def test_fit_on_anything(X, y, loss_index):
    loss = [nn.SoftmaxCrossEntropy(), nn.SigmoidBinaryCrossEntropy(), nn.MSE()][loss_index]
    model = nn.build_mlp(2, [3], 2, rng=0)
    status, value = fit_outcome(model, loss, nn.Adam(0.01), X, y, epochs=2)
    if status == "ok":
        assert is_valid_X(X, 2, np.float64)
        check_trained(model, value, X)


@st.composite
def layer_stacks(draw):
    """A random Sequential: Dense layers of random widths, any activations, dropout, dtypes."""
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    widths = draw(st.lists(st.integers(1, 6), min_size=1, max_size=4))
    seed = draw(st.integers(0, 1000))
    layers = []
    for n_in, n_out in zip(widths, widths[1:]):
        layers.append(
            nn.Dense(n_in, n_out, rng=seed, dtype=dtype, l2=draw(st.sampled_from([0.0, 0.01])))
        )
        layers.append(nn.layers.activation(draw(st.sampled_from(sorted(nn.layers.ACTIVATIONS)))))
        if draw(st.booleans()):
            layers.append(nn.Dropout(draw(st.sampled_from([0.0, 0.3, 0.9])), rng=seed))
    loss_name = draw(st.sampled_from(["softmax", "sigmoid", "mse", "unfused"]))
    layers.append(nn.Dense(widths[-1], 2, rng=seed, dtype=dtype))
    loss = {
        "softmax": nn.SoftmaxCrossEntropy,
        "sigmoid": nn.SigmoidBinaryCrossEntropy,
        "mse": nn.MSE,
        "unfused": nn.CrossEntropy,
    }[loss_name](draw(st.sampled_from(["mean", "sum"])))
    if loss_name == "unfused":
        layers.append(nn.Softmax())
    event(f"stack: {len(widths)} Dense, loss {loss_name}")
    return nn.Sequential(*layers), loss


@given(stack=layer_stacks(), data=st.data())
def test_random_layer_stacks_train_predict_and_round_trip(stack, data, tmp_path_factory):
    model, loss = stack
    X = data.draw(matrix(model.n_in, MODERATE, min_rows=2))
    labels = data.draw(hnp.arrays(np.int64, len(X), elements=st.integers(0, 1)))
    y = np.eye(2)[labels] if not isinstance(loss, nn.SoftmaxCrossEntropy) else labels
    status, history = fit_outcome(model, loss, nn.Adam(0.05), X, y, epochs=3, batch_size=2)
    assert status == "ok", history
    check_trained(model, history, X)
    assert model.predict_proba(X).dtype == model.dtype
    path = nn.save(
        model, tmp_path_factory.mktemp("stack") / "m.npz", metadata={"X": X[:1].tolist()}
    )
    loaded = nn.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert repr(loaded) == repr(model) and loaded.metadata == {"X": X[:1].tolist()}


# ---------------------------------------------------------------- losses and metrics

LOSSES = [nn.SoftmaxCrossEntropy, nn.SigmoidBinaryCrossEntropy, nn.MSE, nn.CrossEntropy]


@given(
    output=anything(),
    target=anything(max_dims=2),
    loss=st.sampled_from(LOSSES),
    reduction=st.sampled_from(["mean", "sum"]),
)
def test_loss_forward_on_anything(output, target, loss, reduction):
    loss = loss(reduction)
    status, value = result(lambda: loss.forward(output, target))
    if status == "ok":
        assert isinstance(value, float) and np.isfinite(value) and value >= -1e-9
        grad = loss.backward()
        assert grad.shape == np.shape(output) and np.isfinite(grad).all()


@given(
    logits=st.integers(1, 6).flatmap(lambda n: hnp.arrays(np.float64, (n, 3), elements=FINITE)),
    seed=st.integers(0, 100),
    loss=st.sampled_from(LOSSES[:3]),
)
def test_loss_on_finite_logits_is_finite_and_nonnegative_or_named(logits, seed, loss):
    rng = np.random.RandomState(seed)
    target = {
        nn.SoftmaxCrossEntropy: rng.randint(0, 3, len(logits)),
        nn.SigmoidBinaryCrossEntropy: rng.randint(0, 2, logits.shape).astype(float),
        nn.MSE: rng.randn(*logits.shape),
    }[loss]
    status, value = result(lambda: loss().forward(logits, target))
    if status == "ok":
        assert np.isfinite(value) and value >= 0
    else:  # only when the true loss exceeds the float range
        assert "overflows" in str(value) and np.abs(logits).max() > 1e150


@given(y_true=anything(max_dims=2), y_pred=anything(max_dims=2))
def test_metrics_on_anything(y_true, y_pred):
    status, value = result(lambda: nn.accuracy(y_true, y_pred))
    if status == "ok":
        assert 0 <= value <= 1
    status, value = result(lambda: nn.r2_score(y_true, y_pred))
    if status == "ok":
        assert not np.isnan(value) and value <= 1  # -inf: off by more than the float range
    status, value = result(lambda: nn.log_loss(y_true, y_pred))
    if status == "ok":
        assert np.isfinite(value) and value >= 0
    status, value = result(lambda: nn.confusion_matrix(y_true, y_pred))
    if status == "ok":
        assert value.sum() == len(np.asarray(y_true))


@given(data=st.data())
def test_metrics_on_valid_labels_are_right(data):
    n = data.draw(st.integers(1, 20))
    y = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, 3)))
    p = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, 3)))
    assert nn.accuracy(y, p) == pytest.approx(np.mean(y == p))
    matrix = nn.confusion_matrix(y, p, n_classes=4)
    assert matrix.trace() == (y == p).sum() and matrix.sum() == n
    scale = data.draw(st.sampled_from([1e-200, 1.0, 1e200]))
    # whole numbers, so that values * 1e-200 stays a normal float (R² is scale-free)
    values = data.draw(hnp.arrays(np.float64, n, elements=st.integers(-1000, 1000)))
    noisy = values + data.draw(hnp.arrays(np.float64, n, elements=st.integers(-3, 3)))
    assert nn.r2_score(values * scale, noisy * scale) == pytest.approx(
        nn.r2_score(values, noisy), abs=1e-9
    )


# ---------------------------------------------------------------- files

JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(metadata=st.dictionaries(st.text(max_size=6), JSON, max_size=4))
def test_save_load_with_any_metadata(metadata, tmp_path_factory):
    model = MODELS[np.float64]
    path = tmp_path_factory.mktemp("meta") / "m.npz"
    status, value = result(lambda: nn.save(model, path, metadata=metadata))
    try:
        json.dumps(metadata, allow_nan=False)
        expected = "ok"
    except ValueError:  # NaN or infinity somewhere: not JSON
        expected = "refused"
    assert status == expected, value
    if status == "ok":
        loaded = nn.load(path)
        assert loaded.metadata == json.loads(json.dumps(metadata))
        for name, array in model.state_dict().items():
            np.testing.assert_array_equal(loaded.state_dict()[name], array)


# ---------------------------------------------------------------- estimators


@given(
    X=anything(max_dims=2),
    y=anything(max_dims=2),
    which=st.sampled_from(["MLPClassifier", "MLPRegressor"]),
)
def test_estimators_on_anything(X, y, which):
    estimator = getattr(nn, which)(hidden_layer_sizes=(3,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # ConvergenceWarning, DataConversionWarning
        status, value = result(lambda: estimator.fit(X, y))
        if status == "ok":
            status, prediction = result(lambda: estimator.predict(X))
            assert status == "ok" or overflow_refusal(prediction), prediction
            if status == "ok" and prediction.dtype.kind == "f":
                assert np.isfinite(prediction).all()


@given(
    X=matrix(2, MODERATE, min_rows=4),
    labels=st.sampled_from([["a", "b"], ["x"], [3, 7, 11], [True, False], [-1, 2]]),
    seed=st.integers(0, 100),
)
def test_classifier_takes_any_sortable_labels(X, labels, seed):
    y = np.array(labels, dtype=object if isinstance(labels[0], str) else None)
    y = y[np.random.RandomState(seed).randint(0, len(labels), len(X))]
    clf = nn.MLPClassifier(hidden_layer_sizes=(3,), max_iter=5, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clf.fit(X, y)
    predicted = clf.predict(X)
    assert set(predicted) <= set(y.tolist())
    proba = clf.predict_proba(X)
    assert np.isfinite(proba).all() and proba.shape[0] == len(X)
