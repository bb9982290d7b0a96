"""One experiment on the real engine: data, input features, model, training, pictures.

``Experiment(config)`` builds everything from a validated config (see
``config.py``) with one seed:

* data: the ``nnscratch.datasets`` generator with ``random_state=seed``, then
  a stratified ``train_test_split(..., random_state=seed)``;
* input features: columns computed from (x1, x2) before the network (x1²,
  sin x1, ...), the same expressions the generated script writes out;
* model: ``build_mlp(n_features, units, n_out, activation=[...], l2=..., rng=seed)``;
* training: ``nnscratch.fit`` with ``rng=RandomState(seed)`` kept across calls,
  so training k epochs at a time is the same run as one ``fit(epochs=N)``.

L1 is not part of the core (``Dense`` has ``l2`` only). Here it is an
optimizer wrapper, ``L1Subgradient``: after backward it adds the subgradient
``l1 · sign(W)`` to every weight gradient (never to a bias), then lets the real
optimizer step. The generated script carries the same ten lines.

Not thread-safe: the server holds a lock per experiment around every call.
"""

from __future__ import annotations

import base64
import math
import tempfile
import time
from pathlib import Path

import numpy as np

import nnscratch as nn
from nnscratch import functional as F
from nnscratch.training import DivergenceWarning

from .config import DATASETS, FEATURES

BOUNDARY_GRID = 120  # the output picture: 120 × 120 cells, one byte each
LEVELS = 42  # a cell's byte = class · 42 + confidence level 0..41 (6 classes fit a byte)
NEURON_GRID = 20  # each neuron's heatmap: 20 × 20 cells
MAX_EPOCHS = 100_000  # one experiment stops here
MAX_HISTORY_POINTS = 1500  # a snapshot never sends more curve points than this


class L1Subgradient(nn.Optimizer):
    """Wrap an optimizer: add ``l1 · sign(W)`` to each weight gradient, then step ``inner``.

    ``sign(0) = 0`` is the subgradient chosen at zero. Biases are not penalised,
    as ``Dense(l2=...)`` does not penalise them either.
    """

    def __init__(self, inner: nn.Optimizer, l1: float, model: nn.Sequential) -> None:
        super().__init__(inner.lr)
        self.inner = inner
        self.l1 = l1
        self.is_weight = [key == "W" for layer in model.layers for key in layer.params]

    def current_lr(self) -> float:
        return self.inner.current_lr()

    def step(self, params, grads) -> None:
        for p, g, is_weight in zip(params, grads, self.is_weight):
            if is_weight:
                g += self.l1 * np.sign(p)
        self.inner.step(params, grads)


# ---------------------------------------------------------------- building blocks
def data_arguments(config: dict) -> tuple[int, dict]:
    """The data set function's n_samples and its other settings but noise and random_state."""
    name, n = config["dataset"], config["n_points"]
    if name == "gaussian":
        return n - n % 4, {}  # four quadrants of equal size
    if name == "spirals":
        return n, {"n_classes": config["classes"]}
    return n, {}


def make_data(config: dict):
    """``X_train, X_test, y_train, y_test, n_classes`` for the experiment."""
    from nnscratch import datasets as D

    name, noise, seed = config["dataset"], config["noise"], config["seed"]
    if name == "quadrants":  # seed 003: four training points and four test points
        X_train, y_train = D.make_quadrant_points()
        X_test, y_test = D.make_quadrant_points(test=True)
        return X_train, X_test, y_train, y_test, 4
    make = getattr(D, DATASETS[name][2])  # validate() lets no other name through
    size, settings = data_arguments(config)
    X, y = make(size, **settings, noise=noise, random_state=seed)
    n_classes = int(y.max()) + 1
    X_train, X_test, y_train, y_test = D.train_test_split(
        X, y, test_size=config["test_ratio"], random_state=seed, stratify=True
    )
    return X_train, X_test, y_train, y_test, n_classes


_FEATURE_FUNCTIONS = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1sq": lambda x1, x2: x1 * x1,
    "x2sq": lambda x1, x2: x2 * x2,
    "x1x2": lambda x1, x2: x1 * x2,
    "sin1": lambda x1, x2: np.sin(x1),
    "sin2": lambda x1, x2: np.sin(x2),
}


def feature_matrix(X: np.ndarray, names: list[str]) -> np.ndarray:
    """The network's input: one column per feature, computed from X's two columns."""
    x1, x2 = X[:, 0], X[:, 1]
    return np.column_stack([_FEATURE_FUNCTIONS[name](x1, x2) for name in names])


def targets(loss_name: str, y: np.ndarray, n_classes: int):
    """``(targets as the loss takes them, number of outputs)``.

    Softmax cross-entropy: labels, one output per class. Binary cross-entropy:
    one output and 0/1 targets for two classes, else one sigmoid per class on
    one-hot targets (one-vs-rest). Squared error: one-hot targets.
    """
    from nnscratch.datasets import one_hot

    if loss_name == "softmax_cross_entropy":
        return y, n_classes
    if loss_name == "binary_cross_entropy" and n_classes == 2:
        return y.astype(np.float64), 1
    return one_hot(y, n_classes), n_classes


def make_loss(name: str) -> nn.Loss:
    return nn.losses.get(name)


def make_optimizer(config: dict, model: nn.Sequential) -> nn.Optimizer:
    lr = config["learning_rate"]
    name = config["optimizer"]
    optimizer = nn.optimizers.get(name, lr=lr)  # momentum, nesterov: SGD with momentum 0.9
    if config["regularization"] == "l1" and config["reg_rate"] > 0:
        optimizer = L1Subgradient(optimizer, config["reg_rate"], model)
    return optimizer


def predicted_classes(output: np.ndarray) -> np.ndarray:
    """The decision rule for every loss: argmax of the outputs (one output: z > 0)."""
    if output.shape[1] == 1:
        return (output[:, 0] > 0).astype(np.intp)
    return np.argmax(output, axis=1)


def _finite(value: float):
    return round(float(value), 6) if math.isfinite(value) else None


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


# ---------------------------------------------------------------- the experiment
class Experiment:
    """Data, features, model and training state of one validated config."""

    def __init__(self, config: dict) -> None:
        self.config = config
        seed = config["seed"]
        self.X_train, self.X_test, self.y_train, self.y_test, self.n_classes = make_data(config)
        names = config["features"]
        self.F_train = feature_matrix(self.X_train, names)
        self.F_test = feature_matrix(self.X_test, names)
        self.T_train, n_out = targets(config["loss"], self.y_train, self.n_classes)
        self.T_test, _ = targets(config["loss"], self.y_test, self.n_classes)
        self.model = nn.build_mlp(
            len(names),
            [layer["units"] for layer in config["layers"]],
            n_out,
            activation=[layer["activation"] for layer in config["layers"]],
            l2=config["reg_rate"] if config["regularization"] == "l2" else 0.0,
            rng=seed,
        )
        self.loss = make_loss(config["loss"])
        # targets as the loss checks them (fit does the same): one output wants (N, 1)
        self.T_train = self.loss.check_target(self.T_train, n_out)
        self.T_test = self.loss.check_target(self.T_test, n_out)
        self.model.loss = self.loss
        self.optimizer = make_optimizer(config, self.model)
        self.rng = np.random.RandomState(seed)  # mini-batch shuffling, kept across fit calls
        self.epoch = 0
        self.status = "ready"  # ready | diverged | finished
        self.message = ""
        self.history: dict[str, list] = {
            k: [] for k in ("epoch", "train_loss", "test_loss", "train_acc", "test_acc")
        }
        self._record()

        # the picture's square domain, around all points
        X = np.vstack([self.X_train, self.X_test])
        low, high = X.min(axis=0), X.max(axis=0)
        centre = (low + high) / 2
        half = max(float((high - low).max()) / 2 * 1.15, 0.5)
        self.domain = [centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half]
        self._grid_big = feature_matrix(self._grid(BOUNDARY_GRID), names)
        self._grid_small = feature_matrix(self._grid(NEURON_GRID), names)

    # -- numbers
    def _grid(self, n: int) -> np.ndarray:
        """Cell centres, row 0 at the top (largest x2), as a canvas draws them."""
        x0, x1, y0, y1 = self.domain
        xs = x0 + (np.arange(n) + 0.5) / n * (x1 - x0)
        ys = y1 - (np.arange(n) + 0.5) / n * (y1 - y0)
        gx, gy = np.meshgrid(xs, ys)
        return np.column_stack([gx.ravel(), gy.ravel()])

    def evaluate(self, F_data, T_data, y) -> tuple[float, float]:
        """(data loss, accuracy) of the current weights: the loss without any penalty."""
        with np.errstate(all="ignore"):
            output = self.model.forward(F_data)
            value = self.loss.compute(output, T_data)
            accuracy = float(np.mean(predicted_classes(output) == y))
        return value, accuracy

    def _record(self) -> None:
        train_loss, train_acc = self.evaluate(self.F_train, self.T_train, self.y_train)
        test_loss, test_acc = self.evaluate(self.F_test, self.T_test, self.y_test)
        h = self.history
        h["epoch"].append(self.epoch)
        h["train_loss"].append(_finite(train_loss))
        h["test_loss"].append(_finite(test_loss))
        h["train_acc"].append(round(train_acc, 6))
        h["test_acc"].append(round(test_acc, 6))

    def train(self, epochs: int, time_budget: float | None = None) -> int:
        """Train up to ``epochs`` epochs (stopping early after ``time_budget`` seconds).

        Returns the number of epochs done. Metrics are recorded after every epoch.
        """
        if self.status != "ready":
            return 0
        epochs = min(epochs, MAX_EPOCHS - self.epoch)
        if epochs <= 0:
            return 0
        deadline = None if time_budget is None else time.perf_counter() + time_budget
        experiment = self
        done = 0
        params = self.model.parameters()
        after_epoch = [p.copy() for p in params]  # the weights at the end of the last epoch

        class Recorder(nn.Callback):
            def on_epoch_end(self, epoch, logs):
                nonlocal done
                done += 1
                for saved, p in zip(after_epoch, params):
                    np.copyto(saved, p)
                experiment.epoch += 1
                experiment._record()
                if deadline is not None and time.perf_counter() > deadline:
                    self.stop("time budget of this tick")

        diverged = False
        try:
            history = nn.fit(
                self.model,
                self.loss,
                self.optimizer,
                self.F_train,
                self.T_train,
                epochs=epochs,
                batch_size=self.config["batch_size"],
                rng=self.rng,
                callbacks=[Recorder()],
            )
            diverged = history.diverged
        except DivergenceWarning:  # when warnings are errors (as under pytest)
            diverged = True
        if diverged:
            # fit kept the weights of the last finite step, which may be mid-epoch; go back
            # to the end of the last whole epoch, which a script with EPOCHS = self.epoch
            # reproduces exactly.
            for saved, p in zip(after_epoch, params):
                np.copyto(p, saved)
            self.status = "diverged"
            self.message = (
                f"the loss became NaN or infinite in epoch {self.epoch + 1}: training "
                f"stopped and the model keeps its weights after epoch {self.epoch}. Try a "
                f"smaller learning rate."
            )
        elif self.epoch >= MAX_EPOCHS:
            self.status = "finished"
            self.message = f"this experiment reached the playground's limit of {MAX_EPOCHS} epochs"
        return done

    # -- what the page draws
    def metrics(self) -> dict:
        return {k: v[-1] for k, v in self.history.items()}

    def _boundary(self) -> dict:
        with np.errstate(all="ignore"):
            output = self.model.forward(self._grid_big)
            classes = predicted_classes(output)
            name = self.config["loss"]
            K = self.n_classes
            if output.shape[1] == 1:  # binary cross-entropy, one logit
                confidence = np.abs(2 * F.sigmoid(output[:, 0]) - 1)
            elif name == "softmax_cross_entropy":
                p = F.softmax(output).max(axis=1)
                confidence = (p - 1 / K) / (1 - 1 / K)
            elif name == "binary_cross_entropy":
                confidence = F.sigmoid(output.max(axis=1))
            else:
                confidence = output.max(axis=1)
            confidence = np.nan_to_num(np.clip(confidence, 0, 1))
        cells = classes * LEVELS + np.round(confidence * (LEVELS - 1)).astype(np.intp)
        return {"n": BOUNDARY_GRID, "levels": LEVELS, "cells": _b64(cells.astype(np.uint8))}

    def _network(self) -> dict:
        """Weights, biases and a heatmap of every input feature and hidden neuron."""
        dense = [layer for layer in self.model.layers if isinstance(layer, nn.Dense)]
        values = [self._grid_small]
        x = self._grid_small
        with np.errstate(all="ignore"):
            for layer in self.model.layers[:-1]:
                x = layer.forward(x)
                if not isinstance(layer, nn.Dense):
                    values.append(x)
        heatmaps, scales = [], []
        for v in values:  # (cells, neurons)
            v = np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0)
            scale = np.maximum(np.abs(v).max(axis=0), 1e-9)
            q = np.clip(np.round(v / scale * 127), -127, 127).astype(np.int8)
            heatmaps.append([_b64(q[:, j]) for j in range(v.shape[1])])
            scales.append([round(float(s), 6) for s in scale])
        return {
            "inputs": [FEATURES[name][0] for name in self.config["features"]],
            "sizes": [dense[0].n_in] + [layer.n_out for layer in dense],
            "activations": [layer["activation"] for layer in self.config["layers"]],
            "weights": [np.round(layer.W, 5).tolist() for layer in dense],
            "biases": [np.round(layer.b, 5).tolist() for layer in dense],
            "grid": NEURON_GRID,
            "heatmaps": heatmaps,
            "scales": scales,
        }

    def _points(self, X, y) -> list:
        return [[round(float(a), 5), round(float(b), 5), int(c)] for (a, b), c in zip(X, y)]

    def snapshot(self, since: int = -1, full: bool = False) -> dict:
        """What the page needs: new curve points (epoch > since), the pictures, the numbers."""
        h = self.history
        start = 0
        if since >= 0:  # epochs are recorded in order, one entry each
            start = min(len(h["epoch"]), since + 1)
        stride = max(1, math.ceil((len(h["epoch"]) - start) / MAX_HISTORY_POINTS))
        picks = list(range(start, len(h["epoch"]), stride))
        if picks and picks[-1] != len(h["epoch"]) - 1:
            picks.append(len(h["epoch"]) - 1)
        out = {
            "epoch": self.epoch,
            "status": self.status,
            "message": self.message,
            "metrics": self.metrics(),
            "history": {k: [v[i] for i in picks] for k, v in h.items()},
            "boundary": self._boundary(),
            "network": self._network(),
        }
        if full:
            out["config"] = self.config
            out["data"] = {
                "train": self._points(self.X_train, self.y_train),
                "test": self._points(self.X_test, self.y_test),
                "classes": self.n_classes,
                "domain": [round(v, 6) for v in self.domain],
            }
        return out

    # -- take away
    def metadata(self) -> dict:
        names = self.config["features"]
        return {
            "source": "nnscratch playground",
            "playground": self.config,
            "epoch": self.epoch,
            "n_classes": self.n_classes,
            "features": names,
            "feature_expressions": [FEATURES[name][1] for name in names],
            "usage": "inputs are features(X), one column per expression of x1 = X[:, 0], "
            "x2 = X[:, 1]; the class is argmax of the outputs (one output: output > 0)",
        }

    def model_bytes(self) -> bytes:
        """The trained model as an ``nnscratch.save`` file (loadable by ``nnscratch.load``)."""
        with tempfile.TemporaryDirectory(prefix="nnscratch-playground-") as folder:
            path = Path(folder) / "model.npz"
            nn.save(self.model, path, metadata=self.metadata())
            return path.read_bytes()

    def script(self) -> str:
        from .script import render

        return render(self.config, self.epoch, self.n_classes)
