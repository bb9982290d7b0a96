"""Layers: forward and backward of one thing, side by side.

The contract (every layer):

* ``forward(x, training=False) -> y`` keeps what backward needs (references,
  not copies). ``Dense.forward`` checks the input shape and dtype.
* ``backward(grad) -> dx`` overwrites ``self.grads[k]`` in place (no
  accumulation, nothing to zero), never mutates ``grad``, and raises
  ``RuntimeError`` if called before ``forward``.
* ``params`` and ``grads`` are dicts with the same keys and shapes.
* ``config()`` describes the layer in JSON terms; ``LAYERS`` maps type names
  to classes, which is how model files are read back without pickle.
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from . import initializers
from ._buffers import reused
from ._validation import check_dtype, check_number, check_positive_int, check_rng


class Layer:
    """Base class. Subclasses set ``params``/``grads`` and implement forward/backward."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._training = False
        self._buffers: dict[tuple, np.ndarray] = {}

    def _out(self, name: str, shape: tuple, dtype) -> np.ndarray | None:
        """A buffer reused from step to step in training mode (None otherwise: allocate).

        In training mode a layer's outputs are overwritten by its next training
        call; ``fit`` uses them at once. Inference always returns new arrays.
        """
        return reused(self._buffers, name, shape, dtype) if self._training else None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def output_size(self, n_in: int) -> int:
        """Number of output features for ``n_in`` input features (same, unless Dense)."""
        return n_in

    def penalty(self) -> float:
        """This layer's contribution to the L2 penalty (0 for parameter-free layers)."""
        return 0.0

    @property
    def n_params(self) -> int:
        return sum(p.size for p in self.params.values())

    def config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        return cls(**config)

    def _cached(self, value):
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward was called before forward")
        return value

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


class Dense(Layer):
    """Fully connected layer.

    forward:   z = x W + b                       x (N, n_in), W (n_in, n_out), b (n_out,)
    backward:  dW = xᵀ g + l2·W,  db = Σ_rows g,  dx = g Wᵀ          g = dL/dz (N, n_out)

    W is drawn first, then b, both from ``rng`` (None: numpy's global state;
    an int: a fresh ``RandomState``). ``l2`` adds ``l2 * W`` to dW (never to b);
    the matching penalty ``l2/2 · ‖W‖²`` is ``penalty()``.
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        *,
        weight_init="scaled_normal",
        bias_init="zeros",
        l2: float = 0.0,
        rng=None,
        dtype=np.float64,
    ) -> None:
        super().__init__()
        self.n_in = check_positive_int(n_in, "n_in")
        self.n_out = check_positive_int(n_out, "n_out")
        self.l2 = check_number(l2, "l2", low=0.0)
        self.dtype = check_dtype(dtype)
        self.weight_init = initializers.get(weight_init)
        self.bias_init = initializers.get(bias_init)
        rng = check_rng(rng)
        W = self._draw(self.weight_init, (self.n_in, self.n_out), rng, "weight_init")
        b = self._draw(self.bias_init, (self.n_out,), rng, "bias_init")
        self.params = {"W": W, "b": b}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros_like(b)}
        self._x = None

    def _draw(self, init, shape, rng, name) -> np.ndarray:
        value = np.asarray(init(shape, rng))
        if value.shape != shape:
            raise ValueError(f"{name} returned shape {value.shape}, expected {shape}")
        return value.astype(self.dtype)

    @property
    def W(self) -> np.ndarray:
        return self.params["W"]

    @property
    def b(self) -> np.ndarray:
        return self.params["b"]

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise ValueError(
                f"Dense({self.n_in}, {self.n_out}) expects input of shape (N, {self.n_in}), "
                f"got {x.shape}"
            )
        if x.dtype != self.dtype:
            raise TypeError(
                f"Dense({self.n_in}, {self.n_out}) holds {self.dtype} weights but got "
                f"{x.dtype} input; convert it with x.astype(np.{self.dtype})"
            )
        self._x, self._training = x, training
        shape = (len(x), self.n_out)
        out = self._out("z", shape, x.dtype)
        small = len(x) * self.n_out <= F.TILE_BIAS_UP_TO
        bias = self._out("bias", shape, x.dtype) if small else None
        return F.affine(x, self.params["W"], self.params["b"], out=out, bias=bias)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        self.param_backward(grad)
        W = self.params["W"]
        return np.matmul(grad, W.T, out=self._out("dx", (len(grad), self.n_in), W.dtype))

    def param_backward(self, grad: np.ndarray) -> None:
        """dW = xᵀ g + l2·W and db = Σ_rows g, written in place (no dx)."""
        x = self._cached(self._x)
        W, dW = self.params["W"], self.grads["W"]
        np.matmul(x.T, grad, out=dW)
        if self.l2:
            dW += np.multiply(W, self.l2, out=self._out("l2W", W.shape, W.dtype))
        F.column_sums(grad, out=self.grads["b"])

    def output_size(self, n_in: int) -> int:
        return self.n_out

    def penalty(self) -> float:
        W = self.params["W"]
        return 0.5 * self.l2 * float(np.vdot(W, W)) if self.l2 else 0.0

    def config(self) -> dict:
        config = {"n_in": self.n_in, "n_out": self.n_out, "l2": self.l2}
        for key, init in (("weight_init", self.weight_init), ("bias_init", self.bias_init)):
            described = initializers.to_config(init)
            config[key] = described if described is not None else "custom"
        config["dtype"] = self.dtype.name
        return config

    @classmethod
    def from_config(cls, config: dict) -> Dense:
        """Rebuild the shape and settings; weights start at zero (no draws) until loaded."""
        return cls(
            config["n_in"],
            config["n_out"],
            l2=config.get("l2", 0.0),
            weight_init="zeros",
            bias_init="zeros",
            dtype=config.get("dtype", "float64"),
        )

    def __repr__(self) -> str:
        extra = f", l2={self.l2}" if self.l2 else ""
        extra += f", dtype={self.dtype.name}" if self.dtype != np.float64 else ""
        return f"Dense({self.n_in}, {self.n_out}{extra})"


class _Activation(Layer):
    """An elementwise activation that keeps its output ``a`` and differentiates from it."""

    def __init__(self) -> None:
        super().__init__()
        self._a = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._training = training
        self._a = self.function(x, out=self._out("a", x.shape, x.dtype))
        return self._a

    def backward(self, grad: np.ndarray) -> np.ndarray:
        a = self._cached(self._a)
        d = self.derivative(a, out=self._out("dx", a.shape, a.dtype))
        return np.multiply(grad, d, out=d)


class Tanh(_Activation):
    """a = tanh(z);  dz = g ∘ (1 - a²)."""

    function = staticmethod(F.tanh)
    derivative = staticmethod(F.tanh_grad)


class Sigmoid(_Activation):
    """a = 1 / (1 + e^-z);  dz = g ∘ a(1 - a)."""

    derivative = staticmethod(F.sigmoid_grad)

    def function(self, z, out=None):
        scratch = None if out is None else self._out("e", z.shape, z.dtype)
        return F.sigmoid(z, out=out, scratch=scratch)


class ReLU(_Activation):
    """a = max(z, 0);  dz = g ∘ [a > 0]."""

    function = staticmethod(F.relu)
    derivative = staticmethod(F.relu_grad)


class LeakyReLU(_Activation):
    """a = z if z > 0 else slope·z;  dz = g ∘ (1 if a > 0 else slope).   0 <= slope < 1."""

    def __init__(self, slope: float = 0.01) -> None:
        super().__init__()
        self.slope = check_number(slope, "slope", low=0.0, high=1.0, high_open=True)

    def function(self, z, out=None):
        return F.leaky_relu(z, self.slope, out=out)

    def derivative(self, a, out=None):
        return F.leaky_relu_grad(a, self.slope, out=out)

    def config(self) -> dict:
        return {"slope": self.slope}


class Identity(_Activation):
    """a = z;  dz = g."""

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._a = x
        return x

    def backward(self, grad: np.ndarray) -> np.ndarray:
        self._cached(self._a)
        return grad


class Softmax(Layer):
    """Unfused softmax, for teaching: pair it with ``CrossEntropy``.

    forward:   p_k = e^(z_k - max z) / Σ_j e^(z_j - max z)
    backward:  dz = p ∘ (g - Σ_j g_j p_j)      (the softmax Jacobian, row by row)

    ``SoftmaxCrossEntropy`` on logits gives the same gradient in one step, p - y.
    """

    def __init__(self) -> None:
        super().__init__()
        self._a = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._a = F.softmax(x)
        return self._a

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return F.softmax_backward(self._cached(self._a), grad)


class Dropout(Layer):
    """Inverted dropout: active only with ``training=True``.

    forward (training):  m_ij = [u_ij >= rate] / (1 - rate),  u ~ U[0, 1) from ``rng``;  y = x ∘ m
    forward (otherwise): y = x
    backward:            dx = g ∘ m   (or g)
    """

    def __init__(self, rate: float = 0.5, *, rng=None) -> None:
        super().__init__()
        self.rate = check_number(rate, "dropout rate", low=0.0, high=1.0, high_open=True)
        self.rng = check_rng(rng)
        self._mask = None
        self._called = False

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._called = True
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        keep = self.rng.random(x.shape) >= self.rate
        self._mask = keep.astype(x.dtype) / x.dtype.type(1.0 - self.rate)
        return x * self._mask

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if not self._called:
            raise RuntimeError("Dropout.backward was called before forward")
        return grad if self._mask is None else grad * self._mask

    def config(self) -> dict:
        return {"rate": self.rate}


LAYERS: dict[str, type[Layer]] = {
    cls.__name__: cls for cls in (Dense, Tanh, Sigmoid, ReLU, LeakyReLU, Identity, Softmax, Dropout)
}

ACTIVATIONS: dict[str, type[Layer]] = {
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "logistic": Sigmoid,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "identity": Identity,
}


def activation(name) -> Layer:
    """A fresh activation layer from its name (tanh, sigmoid/logistic, relu, leaky_relu, identity)."""
    if isinstance(name, Layer):
        return name
    try:
        return ACTIVATIONS[name]()
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown activation {name!r}; expected one of {', '.join(ACTIVATIONS)}"
        ) from None
