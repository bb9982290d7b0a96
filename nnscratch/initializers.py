"""Initializers: callables ``(shape, rng) -> float64 array``, looked up by name.

``rng`` is a ``np.random.RandomState`` or ``np.random.Generator`` (see
``check_rng``). Each initializer makes exactly the draws its docstring says,
so the order of random numbers is known: seed 000's ``randn(2, H) / sqrt(2)``
is ``scaled_normal`` drawn from ``np.random.seed(0)``'s state.

By name:  zeros, ones, constant(value), normal(std), uniform(limit),
scaled_normal (randn / sqrt(fan_in), the seeds' scheme, also called lecun_normal),
glorot_uniform, glorot_normal, he_uniform, he_normal.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._validation import check_number

Initializer = Callable[[tuple, object], np.ndarray]


def _fans(shape: tuple) -> tuple[int, int]:
    """fan_in, fan_out of a weight of shape (n_in, n_out); a bias (n,) has fan_in = n."""
    if len(shape) == 1:
        return shape[0], shape[0]
    return shape[0], shape[1]


class _Named:
    """Base of the built-in initializers: a name, parameters, and a readable repr."""

    name = ""

    def config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{self.name}({args})"

    def __eq__(self, other) -> bool:
        return isinstance(other, _Named) and (self.name, self.config()) == (
            other.name,
            other.config(),
        )

    def __hash__(self) -> int:
        return hash((self.name, tuple(self.config().items())))


class Constant(_Named):
    """All entries equal ``value``; draws nothing."""

    name = "constant"

    def __init__(self, value: float = 0.0):
        self.value = check_number(value, "constant value")

    def config(self) -> dict:
        return {"value": self.value}

    def __call__(self, shape, rng) -> np.ndarray:
        return np.full(shape, self.value)


class Normal(_Named):
    """``rng.normal(0, std, shape)``: N(0, std²). Seed 002 uses std 0.1, seed 004 std 0.01."""

    name = "normal"

    def __init__(self, std: float = 0.01):
        self.std = check_number(std, "normal std", low=0, low_open=True)

    def config(self) -> dict:
        return {"std": self.std}

    def __call__(self, shape, rng) -> np.ndarray:
        return rng.normal(0.0, self.std, shape)


class Uniform(_Named):
    """``rng.uniform(-limit, limit, shape)``."""

    name = "uniform"

    def __init__(self, limit: float = 0.05):
        self.limit = check_number(limit, "uniform limit", low=0, low_open=True)

    def config(self) -> dict:
        return {"limit": self.limit}

    def __call__(self, shape, rng) -> np.ndarray:
        return rng.uniform(-self.limit, self.limit, shape)


class ScaledNormal(_Named):
    """``rng.standard_normal(shape) / sqrt(fan_in)``: the seeds' scheme (LeCun normal)."""

    name = "scaled_normal"

    def __call__(self, shape, rng) -> np.ndarray:
        return rng.standard_normal(shape) / np.sqrt(_fans(shape)[0])


class Glorot(_Named):
    """Glorot/Xavier: Var = 2 / (fan_in + fan_out).

    uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out));
    normal:  N(0, 2 / (fan_in + fan_out)).
    """

    def __init__(self, distribution: str = "uniform"):
        self.distribution = distribution
        self.name = f"glorot_{distribution}"

    def __call__(self, shape, rng) -> np.ndarray:
        fan_in, fan_out = _fans(shape)
        if self.distribution == "uniform":
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            return rng.uniform(-limit, limit, shape)
        return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), shape)


class He(_Named):
    """He/Kaiming for ReLU: Var = 2 / fan_in.

    uniform: U(-a, a) with a = sqrt(6 / fan_in);  normal: N(0, 2 / fan_in).
    """

    def __init__(self, distribution: str = "normal"):
        self.distribution = distribution
        self.name = f"he_{distribution}"

    def __call__(self, shape, rng) -> np.ndarray:
        fan_in = _fans(shape)[0]
        if self.distribution == "uniform":
            limit = np.sqrt(6.0 / fan_in)
            return rng.uniform(-limit, limit, shape)
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)


def zeros() -> Constant:
    """All zeros; draws nothing."""
    return Constant(0.0)


def ones() -> Constant:
    """All ones; draws nothing."""
    return Constant(1.0)


_BY_NAME: dict[str, Callable[..., Initializer]] = {
    "zeros": zeros,
    "ones": ones,
    "constant": Constant,
    "normal": Normal,
    "uniform": Uniform,
    "scaled_normal": ScaledNormal,
    "lecun_normal": ScaledNormal,
    "glorot_uniform": lambda: Glorot("uniform"),
    "glorot_normal": lambda: Glorot("normal"),
    "xavier_uniform": lambda: Glorot("uniform"),
    "xavier_normal": lambda: Glorot("normal"),
    "he_uniform": lambda: He("uniform"),
    "he_normal": lambda: He("normal"),
}

NAMES = tuple(_BY_NAME)


def get(init, **kwargs) -> Initializer:
    """Look an initializer up: a name (with keyword parameters, e.g. ``std=0.1``) or a callable.

    >>> get("normal", std=0.1)
    normal(std=0.1)
    """
    if callable(init) and not isinstance(init, str):
        if kwargs:
            raise TypeError("parameters can only be given with an initializer name")
        return init
    if not isinstance(init, str):
        raise TypeError(f"an initializer must be a name or a callable, got {init!r}")
    try:
        factory = _BY_NAME[init]
    except KeyError:
        raise ValueError(
            f"unknown initializer {init!r}; expected one of {', '.join(NAMES)} or a callable"
        ) from None
    try:
        return factory(**kwargs)
    except TypeError as exc:
        raise TypeError(f"initializer {init!r} does not take {sorted(kwargs)}: {exc}") from None


def to_config(init) -> dict | None:
    """JSON-friendly description of a built-in initializer (None for a user callable)."""
    if isinstance(init, _Named):
        return {"name": init.name, **init.config()}
    return None
