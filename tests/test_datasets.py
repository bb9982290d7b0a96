"""Data sets: the seeds' exact data, our generators' shapes and values, loaders, helpers."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn import datasets as skd
from sklearn.model_selection import train_test_split as sk_train_test_split

from nnscratch import datasets as ds

# ---------------------------------------------------------------- seed data


def test_moons_is_seed_000_data():
    np.random.seed(0)
    X, y = ds.make_moons(200, noise=0.20)
    assert X.shape == (200, 2) and X.dtype == np.float64
    assert y.shape == (200,) and y.dtype.kind == "i"
    assert float(X.sum()) == pytest.approx(148.95806682913354, rel=1e-12)
    np.testing.assert_allclose(X[0], [0.7434611761955393, 0.46465632837724596], rtol=1e-12)
    assert y[:10].tolist() == [0, 1, 1, 0, 1, 1, 0, 1, 0, 1]
    assert np.bincount(y).tolist() == [100, 100]


def test_moons_random_state_forms_agree():
    X_int, y_int = ds.make_moons(50, noise=0.1, random_state=3)
    X_sk, y_sk = skd.make_moons(50, noise=0.1, random_state=3)
    np.testing.assert_array_equal(X_int, X_sk)
    np.testing.assert_array_equal(y_int, y_sk)
    X_rs, _ = ds.make_moons(50, noise=0.1, random_state=np.random.RandomState(3))
    np.testing.assert_array_equal(X_rs, X_sk)
    X_g1, _ = ds.make_moons(50, noise=0.1, random_state=np.random.default_rng(5))
    X_g2, _ = ds.make_moons(50, noise=0.1, random_state=np.random.default_rng(5))
    np.testing.assert_array_equal(X_g1, X_g2)  # a Generator is accepted and reproducible
    X0, y0 = ds.make_moons(20, noise=0.0, random_state=0)  # noise 0: exact half circles
    np.testing.assert_allclose(np.linalg.norm(X0[y0 == 0], axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(X0[y0 == 1] - [1.0, 0.5], axis=1), 1.0)


def test_gaussian_quadrants_is_seed_004_data():
    np.random.seed(0)
    X, y = ds.make_gaussian_quadrants()
    assert X.shape == (800, 2) and X.dtype == np.float64
    assert y.shape == (800,) and y.dtype.kind == "i"
    assert float(X.sum()) == pytest.approx(-18.254598415486726, rel=1e-12)
    np.testing.assert_allclose(X[0], [0.386181789794796, -1.399796749835245], rtol=1e-12)
    assert y[:5].tolist() == [3, 2, 3, 2, 2]
    assert np.bincount(y).tolist() == [200, 200, 200, 200]
    # each class sits around its own quadrant's centre
    centres = {0: (1, 1), 1: (-1, 1), 2: (-1, -1), 3: (1, -1)}
    for label, centre in centres.items():
        np.testing.assert_allclose(X[y == label].mean(axis=0), centre, atol=0.1)
        np.testing.assert_allclose(X[y == label].std(axis=0), [0.5, 0.5], atol=0.06)
    X_int, y_int = ds.make_gaussian_quadrants(random_state=0)  # int seed == global seed 0
    np.testing.assert_array_equal(X_int, X)
    np.testing.assert_array_equal(y_int, y)


def test_gaussian_quadrants_options_and_errors():
    X, y = ds.make_gaussian_quadrants(40, noise=0.0, random_state=np.random.default_rng(1))
    assert X.shape == (40, 2)
    expected = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], dtype=float)[y]
    np.testing.assert_array_equal(X, expected)  # no noise: every point on its centre
    with pytest.raises(ValueError, match="multiple of 4"):
        ds.make_gaussian_quadrants(801)
    with pytest.raises(ValueError, match="noise"):
        ds.make_gaussian_quadrants(noise=-0.5)
    with pytest.raises(TypeError, match="random_state"):
        ds.make_gaussian_quadrants(random_state="zero")


def test_xor_four_points_and_cloud():
    X, y = ds.make_xor()
    assert X.dtype == np.float64 and X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.tolist() == [0, 1, 1, 0]
    X2, _ = ds.make_xor()
    X2[0, 0] = 9.0  # copies: callers may modify them
    assert ds.make_xor()[0][0, 0] == 0.0

    X, y = ds.make_xor(101, noise=0.1, random_state=0)
    assert X.shape == (101, 2) and y.shape == (101,)
    corner = np.round(X).clip(0, 1).astype(int)  # noise 0.1: every point near its corner
    np.testing.assert_array_equal(y, corner[:, 0] ^ corner[:, 1])
    assert sorted(np.unique(corner, axis=0, return_counts=True)[1].tolist()) == [25, 25, 25, 26]
    np.testing.assert_array_equal(X, ds.make_xor(101, noise=0.1, random_state=0)[0])
    with pytest.raises(ValueError, match="n_samples"):
        ds.make_xor(noise=0.3)
    with pytest.raises(ValueError, match="n_samples"):
        ds.make_xor(3)


def test_quadrant_points_seed_003():
    X, y = ds.make_quadrant_points()
    assert X.dtype == np.float64
    assert X.tolist() == [[2, 1], [-1, 1], [-1, -1], [1, -1]]
    assert y.tolist() == [0, 1, 2, 3]
    X_test, y_test = ds.make_quadrant_points(test=True)
    assert X_test.tolist() == [[2, 2], [-2, 2], [-2, -2], [2, -2]]
    assert y_test.tolist() == [0, 1, 2, 3]
    with pytest.raises(TypeError, match="test"):
        ds.make_quadrant_points("yes")


def test_spirals_balanced_and_on_their_arms():
    X, y = ds.make_spirals(301, n_classes=3, noise=0.0)
    assert X.shape == (301, 2) and X.dtype == np.float64
    assert np.bincount(y).tolist() == [101, 100, 100]
    # noise 0: arm k runs from the origin to radius 1 at angle 4(k + 1)
    for k in range(3):
        arm = X[y == k]
        np.testing.assert_allclose(arm[0], [0.0, 0.0], atol=1e-15)
        np.testing.assert_allclose(arm[-1], [np.sin(4.0 * (k + 1)), np.cos(4.0 * (k + 1))])
        np.testing.assert_allclose(np.linalg.norm(arm, axis=1), np.linspace(0, 1, len(arm)))
    Xa, _ = ds.make_spirals(60, n_classes=4, random_state=2)
    Xb, yb = ds.make_spirals(60, n_classes=4, random_state=2)
    np.testing.assert_array_equal(Xa, Xb)
    assert np.bincount(yb).tolist() == [15, 15, 15, 15]
    assert not np.array_equal(Xa, ds.make_spirals(60, n_classes=4, random_state=3)[0])
    with pytest.raises(ValueError, match="n_classes"):
        ds.make_spirals(2, n_classes=3)


def test_circles_and_blobs():
    X, y = ds.make_circles(100, noise=0.0, factor=0.3, random_state=0)
    radius = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)
    assert np.bincount(y).tolist() == [50, 50]
    with pytest.raises(ValueError, match="factor"):
        ds.make_circles(factor=1.5)

    X, y = ds.make_blobs(120, n_classes=4, noise=0.0, random_state=0)
    assert X.shape == (120, 2) and np.bincount(y).tolist() == [30, 30, 30, 30]
    for k in range(4):  # noise (cluster std) 0: each class is one point
        assert np.ptp(X[y == k], axis=0).max() == 0.0
    X_sk, y_sk = skd.make_blobs(120, n_features=2, centers=4, cluster_std=2.0, random_state=1)
    X1, y1 = ds.make_blobs(120, n_classes=4, noise=2.0, random_state=1)
    np.testing.assert_array_equal(X1, X_sk)
    np.testing.assert_array_equal(y1, y_sk)


@pytest.mark.parametrize(
    "call, error, word",
    [
        (lambda: ds.make_moons(-5), ValueError, "n_samples"),
        (lambda: ds.make_moons(2.5), TypeError, "n_samples"),
        (lambda: ds.make_moons(noise=-1), ValueError, "noise"),
        (lambda: ds.make_moons(noise="big"), TypeError, "noise"),
        (lambda: ds.make_moons(random_state=-1), ValueError, "random_state"),
        (lambda: ds.make_circles(noise=float("nan")), ValueError, "noise"),
        (lambda: ds.make_blobs(n_classes=0), ValueError, "n_classes"),
        (lambda: ds.make_spirals(True), TypeError, "n_samples"),
    ],
)
def test_arguments_are_validated(call, error, word):
    with pytest.raises(error, match=word):
        call()


# ---------------------------------------------------------------- bundled data


@pytest.mark.parametrize(
    "loader, shape, counts",
    [
        (ds.load_iris, (150, 4), [50, 50, 50]),
        (ds.load_wine, (178, 13), [59, 71, 48]),
        (ds.load_breast_cancer, (569, 30), [212, 357]),
        (ds.load_digits, (1797, 64), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]),
    ],
)
def test_classification_loaders(loader, shape, counts):
    X, y = loader()
    assert X.shape == shape and X.dtype == np.float64
    assert y.dtype.kind == "i" and np.bincount(y).tolist() == counts
    assert np.isfinite(X).all()


def test_diabetes_is_regression():
    X, y = ds.load_diabetes()
    assert X.shape == (442, 10) and X.dtype == np.float64
    assert y.dtype == np.float64 and y.shape == (442,)
    assert y.min() == 25.0 and y.max() == 346.0


def test_digits_values():
    X, y = ds.load_digits()
    assert X.min() == 0.0 and X.max() == 16.0
    assert y[:10].tolist() == list(range(10))


# ---------------------------------------------------------------- helpers


def test_one_hot_values():
    Y = ds.one_hot([2, 0, 1, 2])
    np.testing.assert_array_equal(Y, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert Y.dtype == np.float64
    # seed 004 keeps labels as a float column
    Y = ds.one_hot(np.array([[3.0], [0.0]]), 4, dtype=np.float32)
    assert Y.dtype == np.float32
    np.testing.assert_array_equal(Y, [[0, 0, 0, 1], [1, 0, 0, 0]])
    np.testing.assert_array_equal(ds.one_hot([0, 1], 3), [[1, 0, 0], [0, 1, 0]])


@pytest.mark.parametrize(
    "y, n_classes, error, word",
    [
        ([0, 3], 3, ValueError, "n_classes=3"),
        ([0, -1], None, ValueError, ">= 0"),
        ([0, 1e20], None, ValueError, "1e\\+20, too large"),
        (np.array([0, 2**64 - 1], dtype=np.uint64), None, ValueError, "18446744073709551615"),
        ([0.5, 1], None, ValueError, "whole-number"),
        (["a", "b"], None, TypeError, "strings"),
        ([[0, 1], [1, 0]], None, ValueError, "1-D"),
        ([], None, ValueError, "empty"),
    ],
)
def test_one_hot_errors(y, n_classes, error, word):
    with pytest.raises(error, match=word):
        ds.one_hot(y, n_classes)


def test_train_test_split_matches_scikit_learn():
    X, y = ds.load_iris()
    ours = ds.train_test_split(X, y, test_size=0.25, random_state=42)
    theirs = sk_train_test_split(X, y, test_size=0.25, random_state=42)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)


def test_train_test_split_partitions_and_stratifies():
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1, 2], [60, 30, 10])
    X = np.column_stack([np.arange(100), rng.randn(100)])
    X_tr, X_te, y_tr, y_te = ds.train_test_split(X, y, test_size=0.2, random_state=0, stratify=True)
    assert len(X_te) == 20 and len(X_tr) == 80
    assert np.bincount(y_te).tolist() == [12, 6, 2]
    assert np.bincount(y_tr).tolist() == [48, 24, 8]
    ids_tr, ids_te = X_tr[:, 0].astype(int), X_te[:, 0].astype(int)
    assert sorted(ids_tr.tolist() + ids_te.tolist()) == list(range(100))  # a partition
    np.testing.assert_array_equal(y[ids_tr], y_tr)  # rows stay with their labels
    np.testing.assert_array_equal(y[ids_te], y_te)
    # uneven shares: the total still matches and each class is within one of its share
    y = np.repeat([0, 1, 2], [7, 7, 7])
    _, X_te, _, y_te = ds.train_test_split(np.zeros((21, 1)), y, test_size=5, stratify=True)
    assert len(X_te) == 5 and sorted(np.bincount(y_te, minlength=3).tolist()) == [1, 2, 2]


@pytest.mark.parametrize(
    "kwargs, error, word",
    [
        ({"test_size": 0.0}, ValueError, "test_size"),
        ({"test_size": 1.0}, ValueError, "test_size"),
        ({"test_size": 10}, ValueError, "test_size"),
        ({"test_size": "half"}, TypeError, "test_size"),
        ({"stratify": "yes"}, TypeError, "stratify"),
    ],
)
def test_train_test_split_errors(kwargs, error, word):
    with pytest.raises(error, match=word):
        ds.train_test_split(np.zeros((10, 2)), np.arange(10) % 2, **kwargs)
    with pytest.raises(ValueError, match="samples"):
        ds.train_test_split(np.zeros((10, 2)), np.zeros(9))


def test_import_does_not_load_scikit_learn():
    code = (
        "import sys, nnscratch, nnscratch.datasets;"
        "print('sklearn' in sys.modules, 'matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
