"""The five workloads W1-W5: data, network shape and training settings.

Every contestant trains the same network on the same data with plain SGD:
``Dense -> act -> ... -> Dense``, softmax cross-entropy on logits, learning
rate ``lr``, L2 ``l2`` on the weights (never the biases), batches of
``batch_size`` rows (None: full batch) reshuffled every epoch when
``shuffle``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    sizes: tuple[int, ...]  # (n_in, hidden..., n_out)
    activation: str  # "tanh" or "relu"
    lr: float
    reduction: str = "mean"  # "mean" or "sum"
    l2: float = 0.0
    batch_size: int | None = None  # None: full batch
    shuffle: bool = False
    data: str = "moons"  # "moons", "digits" or "synthetic"
    n_samples: int = 200
    heavy: bool = False  # matrix-product bound workloads (fewer repetitions)
    notes: str = field(default="", compare=False)

    @property
    def hidden(self) -> tuple[int, ...]:
        return self.sizes[1:-1]

    @property
    def n_classes(self) -> int:
        return self.sizes[-1]

    def batch_sizes(self, n: int) -> list[int]:
        """The row counts of the steps of one epoch over ``n`` samples."""
        b = n if self.batch_size is None or self.batch_size >= n else self.batch_size
        return [min(b, n - start) for start in range(0, n, b)]

    def steps_per_epoch(self, n: int) -> int:
        b = n if self.batch_size is None else min(self.batch_size, n)
        return math.ceil(n / b)

    def smoke_samples(self) -> int:
        """Rows used in smoke mode: 2 steps for mini-batch workloads, all rows otherwise."""
        if self.batch_size is None:
            return self.n_samples
        return min(self.n_samples, 2 * self.batch_size)


WORKLOADS: dict[str, Workload] = {
    w.key: w
    for w in (
        Workload(
            "W1",
            "moons 200x2 -> 3 tanh -> 2, full batch (seed 000)",
            (2, 3, 2),
            "tanh",
            lr=0.01,
            reduction="sum",
            l2=0.01,
            notes="the seed: summed loss, L2 0.01, lr 0.01",
        ),
        Workload(
            "W2",
            "moons 200x2 -> 50 -> 50 tanh -> 2, full batch",
            (2, 50, 50, 2),
            "tanh",
            lr=0.1,
        ),
        Workload(
            "W3",
            "digits 1797x64 -> 128 ReLU -> 10, batch 64, shuffled",
            (64, 128, 10),
            "relu",
            lr=0.1,
            batch_size=64,
            shuffle=True,
            data="digits",
            n_samples=1797,
        ),
        Workload(
            "W4",
            "synthetic 8192x784 -> 512 -> 512 ReLU -> 10, batch 256, shuffled",
            (784, 512, 512, 10),
            "relu",
            lr=0.01,
            batch_size=256,
            shuffle=True,
            data="synthetic",
            n_samples=8192,
            heavy=True,
        ),
        Workload(
            "W5",
            "synthetic 8192x784 -> 512 -> 512 ReLU -> 10, batch 2048, shuffled",
            (784, 512, 512, 10),
            "relu",
            lr=0.01,
            batch_size=2048,
            shuffle=True,
            data="synthetic",
            n_samples=8192,
            heavy=True,
        ),
    )
}


def load_data(workload: Workload, dtype=np.float64, n_samples: int | None = None):
    """(X, y): X C-contiguous in ``dtype``, y integer labels (np.intp)."""
    n = workload.n_samples if n_samples is None else n_samples
    if workload.data == "moons":
        from nnscratch.datasets import make_moons

        X, y = make_moons(n, noise=0.2, random_state=0)
    elif workload.data == "digits":
        from sklearn.datasets import load_digits

        digits = load_digits()
        X, y = digits.data[:n] / 16.0, digits.target[:n]
    elif workload.data == "synthetic":
        rng = np.random.default_rng(0)
        X = rng.standard_normal((n, workload.sizes[0]))
        y = rng.integers(0, workload.n_classes, n)
    else:
        raise ValueError(f"unknown data {workload.data!r}")
    return np.ascontiguousarray(X, dtype=dtype), np.asarray(y, dtype=np.intp)


def build_model(workload: Workload, dtype=np.float64):
    """The workload's network in nnscratch: ``build_mlp(..., rng=0)``."""
    import nnscratch as nn

    return nn.build_mlp(
        workload.sizes[0],
        list(workload.hidden),
        workload.sizes[-1],
        activation=workload.activation,
        l2=workload.l2,
        rng=0,
        dtype=dtype,
    )


def initial_params(workload: Workload, dtype=np.float64):
    """The starting weights every contestant copies: nnscratch's ``build_mlp(..., rng=0)``.

    Returns a list of (W (n_in, n_out), b (n_out,)) pairs.
    """
    import nnscratch as nn

    model = build_model(workload, dtype)
    dense = [layer for layer in model.layers if isinstance(layer, nn.Dense)]
    return [(d.W.copy(), d.b.copy()) for d in dense]
