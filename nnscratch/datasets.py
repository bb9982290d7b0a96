"""Toy and real data sets, one calling convention: ``(n_samples, noise, random_state)``.

Ours: ``make_xor``, ``make_quadrant_points``, ``make_gaussian_quadrants``,
``make_spirals``. scikit-learn's: ``make_moons``, ``make_circles``,
``make_blobs`` and the bundled ``load_digits``, ``load_iris``, ``load_wine``,
``load_breast_cancer``, ``load_diabetes`` (no download). Helpers:
``one_hot``, ``train_test_split``.

scikit-learn is imported on first use, never at ``import nnscratch``.
``random_state`` is None (numpy's global state, so ``np.random.seed(0);
make_moons(200, noise=0.2)`` is seed 000's data), an int seed, a
``RandomState`` or a ``Generator``. Every generator returns ``X`` (n, 2)
float64 and ``y`` (n,) integer labels (``np.intp``).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._validation import (
    as_numeric_array,
    check_lengths,
    check_number,
    check_positive_int,
    check_rng,
)

__all__ = [
    "make_moons",
    "make_circles",
    "make_blobs",
    "make_xor",
    "make_quadrant_points",
    "make_gaussian_quadrants",
    "make_spirals",
    "load_digits",
    "load_iris",
    "load_wine",
    "load_breast_cancer",
    "load_diabetes",
    "one_hot",
    "train_test_split",
]

# The data sets by name, as the command line and sweeps take them: name -> the
# function of this module that draws (GENERATED) or loads (LOADED) it.
GENERATED = {
    "moons": "make_moons",
    "circles": "make_circles",
    "blobs": "make_blobs",
    "xor": "make_xor",
    "gaussian_quadrants": "make_gaussian_quadrants",
    "spirals": "make_spirals",
}
LOADED = {
    "digits": "load_digits",
    "iris": "load_iris",
    "wine": "load_wine",
    "breast_cancer": "load_breast_cancer",
    "diabetes": "load_diabetes",
}


# ---------------------------------------------------------------- helpers
def _sklearn_random_state(random_state):
    """What scikit-learn accepts: None, an int or a RandomState (a Generator seeds one)."""
    rng = check_rng(random_state, "random_state")  # validates the type and sign
    if random_state is None or isinstance(random_state, np.random.RandomState):
        return random_state
    if isinstance(rng, np.random.Generator):
        # scikit-learn does not take Generators: derive a RandomState from it (one draw).
        return np.random.RandomState(int(rng.integers(2**32)))
    return int(random_state)


def _normal(rng, shape) -> np.ndarray:
    """Standard normal draws; on a RandomState exactly ``np.random.randn(*shape)``."""
    return rng.standard_normal(shape)


# ---------------------------------------------------------------- scikit-learn's generators
def make_moons(n_samples: int = 200, *, noise: float = 0.2, random_state=None):
    """Two interleaving half circles (scikit-learn's generator): X (n, 2), y (n,) in {0, 1}.

    ``np.random.seed(0); make_moons(200, noise=0.2)`` is seeds 000/001's data.
    """
    from sklearn.datasets import make_moons as sk_make_moons

    n_samples = check_positive_int(n_samples, "n_samples", minimum=2)
    noise = check_number(noise, "noise", low=0.0)
    state = _sklearn_random_state(random_state)
    X, y = sk_make_moons(n_samples, noise=noise or None, random_state=state)
    return np.asarray(X, dtype=np.float64), y.astype(np.intp)


def make_circles(
    n_samples: int = 200, *, noise: float = 0.1, factor: float = 0.5, random_state=None
):
    """A small circle inside a large one (scikit-learn's generator); ``factor`` = radius ratio."""
    from sklearn.datasets import make_circles as sk_make_circles

    n_samples = check_positive_int(n_samples, "n_samples", minimum=2)
    noise = check_number(noise, "noise", low=0.0)
    factor = check_number(factor, "factor", low=0.0, high=1.0, high_open=True)
    state = _sklearn_random_state(random_state)
    X, y = sk_make_circles(n_samples, noise=noise or None, factor=factor, random_state=state)
    return np.asarray(X, dtype=np.float64), y.astype(np.intp)


def make_blobs(n_samples: int = 200, *, n_classes: int = 3, noise: float = 1.0, random_state=None):
    """``n_classes`` isotropic Gaussian clusters in 2-D; ``noise`` is the cluster std.

    Centres are drawn uniformly in [-10, 10]² (scikit-learn's generator).
    """
    from sklearn.datasets import make_blobs as sk_make_blobs

    n_samples = check_positive_int(n_samples, "n_samples")
    n_classes = check_positive_int(n_classes, "n_classes")
    noise = check_number(noise, "noise", low=0.0)
    if n_samples < n_classes:
        raise ValueError(f"n_samples={n_samples} is fewer than n_classes={n_classes}")
    state = _sklearn_random_state(random_state)
    X, y = sk_make_blobs(
        n_samples, n_features=2, centers=n_classes, cluster_std=noise, random_state=state
    )
    return np.asarray(X, dtype=np.float64), y.astype(np.intp)


# ---------------------------------------------------------------- ours
_XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_XOR_Y = np.array([0, 1, 1, 0], dtype=np.intp)


def _balanced_counts(n_samples: int, n_classes: int) -> list[int]:
    """Class sizes differing by at most one, the first classes taking the remainder."""
    base, extra = divmod(n_samples, n_classes)
    return [base + (k < extra) for k in range(n_classes)]


def make_xor(n_samples: int | None = None, *, noise: float = 0.0, random_state=None):
    """XOR. ``n_samples=None``: the four points of seed 002, X = [[0,0],[0,1],[1,0],[1,1]], y = [0,1,1,0].

    With ``n_samples``: a cloud around the four corners, as balanced as
    possible (corner k gets ``n_samples // 4`` points, the first corners one
    more), each point = corner + ``noise`` · N(0, I), label = XOR of its
    corner, shuffled. Draws: standard normal (n, 2), then a permutation of n.
    """
    noise = check_number(noise, "noise", low=0.0)
    if n_samples is None:
        if noise:
            raise ValueError(
                f"noise={noise!r} needs n_samples: the four exact XOR points have no noise"
            )
        return _XOR_X.copy(), _XOR_Y.copy()
    n_samples = check_positive_int(n_samples, "n_samples", minimum=4)
    rng = check_rng(random_state, "random_state")
    corner = np.repeat(np.arange(4), _balanced_counts(n_samples, 4))
    X = _XOR_X[corner] + noise * _normal(rng, (n_samples, 2))
    y = _XOR_Y[corner]
    order = rng.permutation(n_samples)
    return X[order], y[order]


def make_quadrant_points(test: bool = False):
    """Seed 003's four training points, one per quadrant, labels 0..3.

    ``test=False``: X = [[2,1],[-1,1],[-1,-1],[1,-1]]; ``test=True``: the
    test points [[2,2],[-2,2],[-2,-2],[2,-2]]. y = [0, 1, 2, 3] (quadrants
    I, II, III, IV).
    """
    if not isinstance(test, (bool, np.bool_)):
        raise TypeError(f"test must be True or False, got {test!r}")
    if test:
        X = np.array([[2.0, 2.0], [-2.0, 2.0], [-2.0, -2.0], [2.0, -2.0]])
    else:
        X = np.array([[2.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
    return X, np.arange(4, dtype=np.intp)


def make_gaussian_quadrants(n_samples: int = 800, *, noise: float = 0.5, random_state=None):
    """Seed 004's data: four Gaussian clusters around (±1, ±1), one class per quadrant.

    ``n = n_samples // 4`` points per class, each coordinate = centre +
    ``noise`` · N(0, 1). Labels: 0 at (+1, +1), 1 at (-1, +1), 2 at (-1, -1),
    3 at (+1, -1). The draws follow seed 004 exactly: twelve ``randn(n, 1)``
    (x, y and label blocks, the label blocks computed as ``randn * 0 + c``) in
    the order of classes 0, 1, 2, 3, stacked as classes 0, 3, 1, 2, then
    shuffled with ``permutation(4n)``. So ``np.random.seed(0);
    make_gaussian_quadrants()`` is the seed's data set.
    """
    n_samples = check_positive_int(n_samples, "n_samples", minimum=4)
    noise = check_number(noise, "noise", low=0.0)
    if n_samples % 4:
        raise ValueError(
            f"n_samples must be a multiple of 4 (one quarter per class), got {n_samples}"
        )
    rng = check_rng(random_state, "random_state")
    n = n_samples // 4
    blocks = {}
    # seed 004's order: quadrant I, II, III, IV; x, y, label each
    for label, (cx, cy) in ((0, (1, 1)), (1, (-1, 1)), (2, (-1, -1)), (3, (1, -1))):
        x = _normal(rng, (n, 1)) * noise + cx
        yy = _normal(rng, (n, 1)) * noise + cy
        lab = _normal(rng, (n, 1)) * 0 + label
        blocks[label] = (x, yy, lab)
    stack_order = (0, 3, 1, 2)  # the seed stacks (x1, x2, x3, x4) = quadrants I, IV, II, III
    X = np.hstack(
        (
            np.vstack([blocks[k][0] for k in stack_order]),
            np.vstack([blocks[k][1] for k in stack_order]),
        )
    )
    y = np.vstack([blocks[k][2] for k in stack_order])[:, 0].astype(np.intp)
    order = rng.permutation(X.shape[0])
    return X[order], y[order]


def make_spirals(
    n_samples: int = 300, *, n_classes: int = 3, noise: float = 0.2, random_state=None
):
    """``n_classes`` interleaved spiral arms (the cs231n data set), balanced.

    Arm k: radius r from 0 to 1, angle θ = linspace(4k, 4(k+1)) + ``noise`` ·
    N(0, 1), point (r sin θ, r cos θ). Arms differ in size by at most one
    point. Draws: one standard normal block per arm, in order; the points are
    returned grouped by class (not shuffled), as in cs231n.
    """
    n_samples = check_positive_int(n_samples, "n_samples")
    n_classes = check_positive_int(n_classes, "n_classes")
    noise = check_number(noise, "noise", low=0.0)
    if n_samples < n_classes:
        raise ValueError(f"n_samples={n_samples} is fewer than n_classes={n_classes}")
    rng = check_rng(random_state, "random_state")
    Xs, ys = [], []
    for k, count in enumerate(_balanced_counts(n_samples, n_classes)):
        r = np.linspace(0.0, 1.0, count)
        theta = np.linspace(4.0 * k, 4.0 * (k + 1), count) + _normal(rng, count) * noise
        Xs.append(np.column_stack([r * np.sin(theta), r * np.cos(theta)]))
        ys.append(np.full(count, k, dtype=np.intp))
    return np.vstack(Xs), np.concatenate(ys)


# ---------------------------------------------------------------- scikit-learn's bundled data
def _load(name: str):
    import sklearn.datasets

    X, y = getattr(sklearn.datasets, name)(return_X_y=True)
    y = np.asarray(y)
    y = y.astype(np.intp) if y.dtype.kind in "iu" else y.astype(np.float64)
    return np.asarray(X, dtype=np.float64), y


def load_digits():
    """8×8 handwritten digits: X (1797, 64) pixel values 0..16, y (1797,) in 0..9."""
    return _load("load_digits")


def load_iris():
    """Iris flowers: X (150, 4) measurements in cm, y (150,) in 0..2."""
    return _load("load_iris")


def load_wine():
    """Wine recognition: X (178, 13) chemical analyses, y (178,) in 0..2."""
    return _load("load_wine")


def load_breast_cancer():
    """Breast cancer Wisconsin: X (569, 30) features, y (569,) in {0, 1} (0 = malignant)."""
    return _load("load_breast_cancer")


def load_diabetes():
    """Diabetes (regression): X (442, 10) standardised features, y (442,) float disease progression."""
    return _load("load_diabetes")


# ---------------------------------------------------------------- helpers on labels and splits
def _check_labels(y, name: str = "y") -> np.ndarray:
    """Integer class labels (N,) from ints or whole floats, (N,) or a column (N, 1)."""
    array = as_numeric_array(y, name)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D class labels (N,), got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty: at least one label is needed")
    if array.dtype.kind == "f":
        if not np.isfinite(array).all() or not np.array_equal(array, np.round(array)):
            bad = array[~np.isfinite(array) | (array != np.round(array))][0]
            raise ValueError(f"{name} must hold whole-number class labels, got {bad!r}")
    # range first, in the labels' own dtype: -1.0, 1e20 or 2**64-1 must not wrap in the cast
    if array.min() < 0:
        raise ValueError(f"{name} must hold labels >= 0, got {array.min()}")
    if array.max() > np.iinfo(np.intp).max:
        raise ValueError(f"{name} holds the label {array.max()}, too large for a class index")
    return array.astype(np.intp)


def one_hot(y, n_classes: int | None = None, dtype=np.float64) -> np.ndarray:
    """Rows of zeros with a one at each label (seed 004's ``OneHot``): (N,) -> (N, K).

    ``y`` holds integer labels (or whole floats, or a column (N, 1), as seed
    004 keeps them); ``n_classes`` defaults to ``max(y) + 1``.
    """
    labels = _check_labels(y)
    if n_classes is None:
        n_classes = int(labels.max()) + 1
    n_classes = check_positive_int(n_classes, "n_classes")
    if labels.max() >= n_classes:
        raise ValueError(
            f"y holds label {int(labels.max())} but n_classes={n_classes} allows 0..{n_classes - 1}"
        )
    out = np.zeros((labels.size, n_classes), dtype=dtype)
    out[np.arange(labels.size), labels] = 1
    return out


def _n_test(test_size, n: int) -> int:
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"test_size must be a fraction in (0, 1) or a count, got {test_size!r}")
    if isinstance(test_size, numbers.Integral):
        if not 1 <= test_size <= n - 1:
            raise ValueError(f"test_size={test_size} must leave both parts non-empty (n = {n})")
        return int(test_size)
    fraction = check_number(
        test_size, "test_size", low=0.0, high=1.0, low_open=True, high_open=True
    )
    n_test = math.ceil(fraction * n)  # scikit-learn rounds the test part up
    if not 1 <= n_test <= n - 1:
        raise ValueError(
            f"test_size={test_size} gives {n_test} of {n} samples; both parts need one"
        )
    return n_test


def train_test_split(X, y, *, test_size=0.25, random_state=None, stratify: bool = False):
    """Shuffle and split into ``X_train, X_test, y_train, y_test`` (scikit-learn's order).

    ``test_size``: a fraction in (0, 1) (the test count is rounded up) or a
    count. Without ``stratify`` the split is scikit-learn's: with the same int
    ``random_state`` it returns the same rows. ``stratify=True`` keeps each
    class's share in both parts (each class gives its proportional number of
    test rows, rounded so the total matches; largest remainders first).
    """
    X = as_numeric_array(X, "X")
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError("X and y must be arrays with one row per sample")
    check_lengths(X, y)
    n = len(X)
    if n < 2:
        raise ValueError(f"need at least 2 samples to split, got {n}")
    if not isinstance(stratify, (bool, np.bool_)):
        raise TypeError(f"stratify must be True or False, got {stratify!r}")
    n_test = _n_test(test_size, n)
    rng = check_rng(random_state, "random_state")
    if not stratify:
        order = rng.permutation(n)
        test, train = order[:n_test], order[n_test:]
    else:
        labels = _check_labels(y)
        classes, counts = np.unique(labels, return_counts=True)
        exact = counts * n_test / n
        take = np.floor(exact).astype(int)
        remainder_order = np.argsort(-(exact - take), kind="stable")
        take[remainder_order[: n_test - take.sum()]] += 1
        test_parts, train_parts = [], []
        for cls, k in zip(classes, take):
            members = np.flatnonzero(labels == cls)
            members = members[rng.permutation(members.size)]
            test_parts.append(members[:k])
            train_parts.append(members[k:])
        test = np.concatenate(test_parts)
        train = np.concatenate(train_parts)
        test, train = test[rng.permutation(test.size)], train[rng.permutation(train.size)]
    return X[train], X[test], y[train], y[test]
