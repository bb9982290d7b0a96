"""The experiment: one JSON object, checked here before anything is built.

Every request that carries an experiment goes through ``validate``: unknown
keys, wrong types and out-of-range values raise ``ConfigError`` with a message
naming the setting, which the server answers with 400. Missing keys take their
defaults, so ``validate({})`` is the default experiment.

The page builds its controls from ``schema()``: the options, limits and
defaults live only here.
"""

from __future__ import annotations

import math
import numbers


class ConfigError(ValueError):
    """A bad experiment setting; the message names it and says what is allowed."""


# name -> (label, default noise, noise meaning)
DATASETS = {  # name -> (label on the page, default noise, the nnscratch.datasets function)
    "moons": ("Moons", 0.2, "make_moons"),
    "circles": ("Circles", 0.1, "make_circles"),
    "xor": ("XOR", 0.2, "make_xor"),
    "gaussian": ("Gaussian quadrants (seed 004)", 0.5, "make_gaussian_quadrants"),
    "spirals": ("Spirals", 0.2, "make_spirals"),
    "quadrants": ("Quadrant points (seed 003)", 0.0, "make_quadrant_points"),
}

# name -> (label shown on the page, numpy expression of x1 and x2). The generated
# script computes the features with these expressions, the engine with its
# _FEATURE_FUNCTIONS (tests check that the two agree).
FEATURES = {
    "x1": ("x₁", "x1"),
    "x2": ("x₂", "x2"),
    "x1sq": ("x₁²", "x1 * x1"),
    "x2sq": ("x₂²", "x2 * x2"),
    "x1x2": ("x₁x₂", "x1 * x2"),
    "sin1": ("sin x₁", "np.sin(x1)"),
    "sin2": ("sin x₂", "np.sin(x2)"),
}

ACTIVATIONS = ("tanh", "relu", "sigmoid", "leaky_relu", "identity")
LOSSES = {
    "softmax_cross_entropy": "Softmax cross-entropy",
    "binary_cross_entropy": "Sigmoid binary cross-entropy",
    "mse": "Squared error (one-hot)",
}
OPTIMIZERS = {
    "sgd": "SGD",
    "momentum": "SGD + momentum 0.9",
    "nesterov": "SGD + Nesterov 0.9",
    "adam": "Adam",
    "rmsprop": "RMSProp",
}
REGULARIZATIONS = ("none", "l1", "l2")

LIMITS = {
    "n_points": (20, 2000),
    "classes": (2, 6),
    "noise": (0.0, 1.5),
    "test_ratio": (0.1, 0.9),
    "layers": (0, 6),
    "units": (1, 8),
    "learning_rate": (1e-5, 10.0),
    "reg_rate": (0.0, 10.0),
    "batch_size": (1, 2000),
    "seed": (0, 2**31 - 1),
}

DEFAULTS = {
    "dataset": "moons",
    "classes": 3,
    "noise": 0.2,
    "n_points": 300,
    "test_ratio": 0.3,
    "features": ["x1", "x2"],
    "layers": [{"units": 6, "activation": "tanh"}, {"units": 4, "activation": "tanh"}],
    "loss": "softmax_cross_entropy",
    "optimizer": "adam",
    "learning_rate": 0.03,
    "regularization": "none",
    "reg_rate": 0.0,
    "batch_size": 16,
    "seed": 0,
}

MAX_BODY = 64 * 1024  # bytes of JSON a request may carry


def _int(value, name: str) -> int:
    low, high = LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{name} must be an integer in [{low}, {high}], got {value}")
    return int(value)


def _float(value, name: str) -> float:
    low, high = LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    value = float(value)
    if not math.isfinite(value) or not low <= value <= high:
        raise ConfigError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    return value


def _choice(value, name: str, options) -> str:
    if not isinstance(value, str) or value not in options:
        raise ConfigError(f"{name} must be one of {', '.join(options)}; got {value!r}")
    return value


def validate(config) -> dict:
    """A complete, checked copy of ``config`` (a dict from JSON); raises ``ConfigError``."""
    if not isinstance(config, dict):
        raise ConfigError(f"the experiment must be a JSON object, got {type(config).__name__}")
    unknown = sorted(set(config) - set(DEFAULTS))
    if unknown:
        raise ConfigError(
            f"unknown setting(s) {', '.join(map(repr, unknown))}; known: {', '.join(DEFAULTS)}"
        )
    c = {**DEFAULTS, **config}
    out = {
        "dataset": _choice(c["dataset"], "dataset", DATASETS),
        "classes": _int(c["classes"], "classes"),
        "noise": _float(c["noise"], "noise"),
        "n_points": _int(c["n_points"], "n_points"),
        "test_ratio": _float(c["test_ratio"], "test_ratio"),
    }
    features = c["features"]
    if not isinstance(features, list) or not features:
        raise ConfigError(f"features must be a non-empty list drawn from {', '.join(FEATURES)}")
    for f in features:
        _choice(f, "each feature", FEATURES)
    if len(set(features)) != len(features):
        raise ConfigError(f"features must not repeat, got {features!r}")
    # keep the canonical order, so one experiment has one model
    out["features"] = [f for f in FEATURES if f in features]

    layers = c["layers"]
    low, high = LIMITS["layers"]
    if not isinstance(layers, list) or not low <= len(layers) <= high:
        raise ConfigError(f"layers must be a list of {low} to {high} hidden layers")
    out["layers"] = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict) or set(layer) != {"units", "activation"}:
            raise ConfigError(
                f"hidden layer {i + 1} must be an object with 'units' and 'activation'"
            )
        out["layers"].append(
            {
                "units": _int(layer["units"], "units"),
                "activation": _choice(
                    layer["activation"], f"activation of layer {i + 1}", ACTIVATIONS
                ),
            }
        )
    out["loss"] = _choice(c["loss"], "loss", LOSSES)
    out["optimizer"] = _choice(c["optimizer"], "optimizer", OPTIMIZERS)
    out["learning_rate"] = _float(c["learning_rate"], "learning_rate")
    out["regularization"] = _choice(c["regularization"], "regularization", REGULARIZATIONS)
    out["reg_rate"] = _float(c["reg_rate"], "reg_rate")
    out["batch_size"] = _int(c["batch_size"], "batch_size")
    out["seed"] = _int(c["seed"], "seed")
    return out


def schema() -> dict:
    """What the page needs to build its controls."""
    return {
        "defaults": DEFAULTS,
        "limits": LIMITS,
        "datasets": {k: {"label": v[0], "noise": v[1]} for k, v in DATASETS.items()},
        "features": {k: v[0] for k, v in FEATURES.items()},
        "activations": list(ACTIVATIONS),
        "losses": LOSSES,
        "optimizers": OPTIMIZERS,
        "regularizations": list(REGULARIZATIONS),
    }
