"""Toy and real data sets, one calling convention: ``(n_samples, noise, random_state)``.

scikit-learn's generators are imported on first use, never at ``import nnscratch``.
``random_state`` follows scikit-learn: None means numpy's global state, so
``np.random.seed(0); make_moons(200, noise=0.2)`` is seed 000's data.
"""

from __future__ import annotations

import numpy as np


def make_moons(n_samples: int = 200, *, noise: float = 0.2, random_state=None):
    """Two interleaving half circles (scikit-learn's generator): X (n, 2), y (n,) in {0, 1}."""
    from sklearn.datasets import make_moons as sk_make_moons

    X, y = sk_make_moons(n_samples, noise=noise, random_state=random_state)
    return X, y.astype(np.intp)
