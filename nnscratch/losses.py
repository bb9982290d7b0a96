"""Losses own their fused gradients.

Contract: ``forward(output, target) -> float`` checks the target and keeps
the gradient; ``backward() -> dL/d(output)``; ``transform(output)`` is the
link from the network's output to predictions (softmax, sigmoid, identity);
``predict(output)`` is the decision rule. ``reduction="mean"`` divides value
and gradient by N (the number of rows), ``"sum"`` does not; both always agree.

The training loop checks targets once with ``check_target`` and then calls
``compute`` (no checks) at every step. ``compute`` writes the gradient and
the kernel's temporaries into arrays it reuses at its next call (as layers
do in training mode); ``forward`` returns and keeps new arrays.
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from ._buffers import reused
from ._validation import as_numeric_array, cast_finite, check_finite

REDUCTIONS = ("mean", "sum")


class Loss:
    """Base class: reduction, target checks, forward/backward bookkeeping."""

    is_classifier = False
    kernel = None  # (output, target, reduction, work=new_array) -> (value, grad)

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        self.reduction = reduction
        self._grad = None
        self._buffers: dict[tuple, np.ndarray] = {}

    # -- the public, checked entry point
    def forward(self, output: np.ndarray, target) -> float:
        """Loss value of ``output`` (N, K) against ``target``; keeps the gradient.

        Checked: ``output`` must be a finite, non-empty 2-D array of real numbers
        (integers and bools are read as float64). The value and gradient are
        finite, or a ValueError says the loss overflows the dtype.
        """
        output = as_numeric_array(output, "output")
        if output.ndim != 2:
            raise ValueError(f"output must be 2-D (N, K), got shape {output.shape}")
        if output.shape[0] == 0 or output.shape[1] == 0:
            raise ValueError(f"output is empty (shape {output.shape}); at least 1 x 1 is needed")
        if output.dtype.kind != "f" or output.dtype not in (np.float32, np.float64):
            output = cast_finite(output, np.float64, "output")
        check_finite(output, "output")
        self.check_output(output)
        target = self.check_target(target, output.shape[1], output.dtype)
        if len(target) != len(output):
            raise ValueError(
                f"output has {len(output)} rows but target has {len(target)}; they must match"
            )
        # the kernels are exact up to the dtype's range; beyond it, refuse rather than warn
        with np.errstate(over="ignore", invalid="ignore"):
            value, self._grad = type(self).kernel(output, target, self.reduction)
        if not (np.isfinite(value) and np.isfinite(self._grad).all()):
            self._grad = None
            raise ValueError(
                f"the loss overflows {output.dtype}: the outputs reach "
                f"{np.abs(output).max():.3g} in magnitude; scale the outputs and targets"
            )
        return value

    def check_output(self, output: np.ndarray) -> None:
        """Loss-specific checks of a finite 2-D output (none by default)."""

    def compute(self, output: np.ndarray, target: np.ndarray) -> float:
        """Unchecked forward, for targets already prepared by ``check_target``.

        The gradient it keeps is overwritten by the next ``compute`` call.
        """
        value, self._grad = type(self).kernel(output, target, self.reduction, self._work)
        return value

    def _work(self, name: str, shape: tuple, dtype, order: str = "C") -> np.ndarray:
        """An array for the kernel's ``name``, reused from one ``compute`` call to the next."""
        return reused(self._buffers, name, shape, dtype, order)

    def backward(self) -> np.ndarray:
        """dL/d(output) of the last forward call."""
        if self._grad is None:
            raise RuntimeError(f"{type(self).__name__}.backward was called before forward")
        return self._grad

    def transform(self, output: np.ndarray) -> np.ndarray:
        """The link: network output -> probabilities (classifiers) or predictions."""
        return output

    def predict(self, output: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Decision rule on the network's output (``out``: an array to write labels into)."""
        return output

    def check_target(self, target, n_outputs: int, dtype=np.float64) -> np.ndarray:
        """Validate ``target`` once and return it in the form ``compute`` takes."""
        raise NotImplementedError

    def labels(self, target: np.ndarray) -> np.ndarray:
        """The labels of a prepared target, to compare with ``predict`` (classifiers only)."""
        raise TypeError(f"{type(self).__name__} is not a classification loss")

    def config(self) -> dict:
        return {"reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


def _labels_or_distribution(target, n_classes: int, dtype) -> np.ndarray:
    """Integer labels (N,) in [0, n_classes) or rows of class probabilities (N, n_classes).

    Returns rows of probabilities (N, n_classes) in ``dtype``: labels become one-hot.
    """
    array = as_numeric_array(target, "target")
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim == 1:
        if array.dtype.kind == "f":
            check_finite(array, "target")
            if not np.array_equal(array, np.round(array)):
                raise ValueError(
                    "target labels must be whole numbers 0..K-1, got non-integer values "
                    f"such as {array[array != np.round(array)][0]!r}"
                )
        # range first, in the labels' own dtype: 1e20 or 2**64-1 must not wrap in the cast
        out_of_range = (array < 0) | (array >= n_classes)
        if out_of_range.any():
            bad = array[out_of_range][0]
            raise ValueError(
                f"target label {bad} is out of range: the network has {n_classes} outputs, "
                f"so labels must be in 0..{n_classes - 1}"
            )
        labels = array.astype(np.intp)
        # One-hot rows: the kernels then need no fancy indexing per step.
        onehot = np.zeros((len(labels), n_classes), dtype=dtype)
        onehot[np.arange(len(labels)), labels] = 1
        return onehot
    if array.ndim == 2:
        if array.shape[1] != n_classes:
            raise ValueError(
                f"one-hot target has {array.shape[1]} columns but the network has "
                f"{n_classes} outputs"
            )
        check_finite(array, "target")
        if array.size and (array.min() < 0 or array.max() > 1):
            raise ValueError("one-hot/probability targets must lie in [0, 1]")
        array = array.astype(dtype)
        if array.size and not np.allclose(array.sum(axis=1), 1, atol=1e-6):
            raise ValueError("each row of a one-hot/probability target must sum to 1")
        return array
    raise ValueError(f"target must be labels (N,) or one-hot (N, K), got shape {array.shape}")


def _real_targets(target, n_outputs: int, dtype, low=None, high=None) -> np.ndarray:
    """Real targets (N, n_outputs); a 1-D target is accepted when n_outputs == 1."""
    array = as_numeric_array(target, "target")
    if array.ndim == 1 and n_outputs == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[1] != n_outputs:
        raise ValueError(
            f"target must have shape (N, {n_outputs}) to match the network's {n_outputs} "
            f"output(s), got {array.shape}"
        )
    check_finite(array, "target")
    array = cast_finite(array, dtype, "target")
    if array.size and low is not None and (array.min() < low or array.max() > high):
        raise ValueError(
            f"targets must lie in [{low}, {high}], got values in [{array.min()!r}, {array.max()!r}]"
        )
    return array


class SoftmaxCrossEntropy(Loss):
    """Softmax + cross-entropy on logits, fused and stable.

    L = -Σ_i log softmax(z_i)[y_i]      dL/dz = softmax(z) - onehot(y)
    (divided by N for "mean"). Targets: integer labels (N,) or one-hot (N, K).
    """

    is_classifier = True
    kernel = staticmethod(F.softmax_cross_entropy)

    def check_target(self, target, n_outputs, dtype=np.float64):
        return _labels_or_distribution(target, n_outputs, dtype)

    def transform(self, output):
        return F.softmax(output)

    def predict(self, output, out=None):
        return output.argmax(axis=1, out=out)  # the method: np.argmax adds a wrapper call

    def labels(self, target):
        return np.argmax(target, axis=1)


class CrossEntropy(SoftmaxCrossEntropy):
    """Cross-entropy on probabilities (after an unfused ``Softmax`` layer), for teaching.

    L = -Σ_i log p_i[y_i]      dL/dp = -onehot(y) / p      (p clipped to [tiny, 1])
    """

    kernel = staticmethod(F.cross_entropy)

    def check_output(self, output):
        if output.min() < 0 or output.max() > 1:
            raise ValueError(
                "CrossEntropy takes probabilities in [0, 1] (e.g. a Softmax layer's output), "
                f"got values in [{output.min():.3g}, {output.max():.3g}]; for logits use "
                "SoftmaxCrossEntropy"
            )

    def transform(self, output):
        return output


class SigmoidBinaryCrossEntropy(Loss):
    """Sigmoid + binary cross-entropy on logits, fused and stable; one or many labels.

    L = Σ_ik softplus(z_ik) - y_ik z_ik      dL/dz = σ(z) - y      (divided by N for "mean")
    Targets in [0, 1], shape (N, K) (or (N,) for one output).
    """

    is_classifier = True
    kernel = staticmethod(F.sigmoid_binary_cross_entropy)

    def check_target(self, target, n_outputs, dtype=np.float64):
        return _real_targets(target, n_outputs, dtype, low=0.0, high=1.0)

    def transform(self, output):
        return F.sigmoid(output)

    def predict(self, output, out=None):
        z = output[:, 0] if output.shape[1] == 1 else output
        if out is not None:  # booleans (the training loop's buffer)
            return np.greater(z, 0, out=out)
        return (z > 0).astype(np.intp)  # σ(z) > 0.5  <=>  z > 0

    def labels(self, target):
        labels = target > 0.5  # as booleans, like predict(output, out=...) writes them
        return labels[:, 0] if labels.shape[1] == 1 else labels


class MSE(Loss):
    """Half squared error: L = ½ Σ_ik (ŷ_ik - y_ik)²,  dL/dŷ = ŷ - y  (divided by N for "mean").

    With reduction="sum" the gradient is exactly ``ŷ - y``, seed 002's update;
    seed 002 prints ‖ŷ - y‖², which is ``2 * value``.
    """

    kernel = staticmethod(F.squared_error)

    def check_target(self, target, n_outputs, dtype=np.float64):
        return _real_targets(target, n_outputs, dtype)

    def predict(self, output, out=None):
        return output[:, 0] if output.shape[1] == 1 else output


LOSSES: dict[str, type[Loss]] = {
    cls.__name__: cls for cls in (SoftmaxCrossEntropy, CrossEntropy, SigmoidBinaryCrossEntropy, MSE)
}

ALIASES = {
    "softmax_cross_entropy": SoftmaxCrossEntropy,
    "cross_entropy": CrossEntropy,
    "binary_cross_entropy": SigmoidBinaryCrossEntropy,
    "sigmoid_binary_cross_entropy": SigmoidBinaryCrossEntropy,
    "mse": MSE,
    "squared_error": MSE,
}


def get(loss, **kwargs) -> Loss:
    """A loss from an instance or a name (softmax_cross_entropy, binary_cross_entropy, mse, ...)."""
    if isinstance(loss, Loss):
        return loss
    cls = ALIASES.get(loss) if isinstance(loss, str) else None
    if cls is None:
        raise ValueError(f"unknown loss {loss!r}; expected one of {', '.join(ALIASES)}")
    return cls(**kwargs)
