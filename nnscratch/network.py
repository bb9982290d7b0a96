"""Sequential: a list of layers run in order; build_mlp: the usual stack in one call."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import layers as L
from ._validation import (
    check_dtype,
    check_number,
    check_output_finite,
    check_positive_int,
    check_rng,
    check_X,
)
from .losses import Loss


class Sequential:
    """Layers applied in order; the last one outputs logits (or raw values).

    ``loss`` is the objective the model is trained with: ``fit`` records it
    here, and it gives ``predict_proba`` its link (softmax, sigmoid) and
    ``predict`` its decision rule.

    >>> model = Sequential(Dense(2, 3, rng=0), Tanh(), Dense(3, 2, rng=0))
    """

    def __init__(self, *layers: L.Layer, loss: Loss | None = None) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if not layers:
            raise ValueError("a Sequential model needs at least one layer")
        for i, layer in enumerate(layers):
            if not isinstance(layer, L.Layer):
                raise TypeError(f"layer {i} is {layer!r}, not an nnscratch Layer")
        dense = [layer for layer in layers if isinstance(layer, L.Dense)]
        if not dense:
            raise ValueError("a Sequential model needs at least one Dense layer")
        width = dense[0].n_in
        for i, layer in enumerate(layers):
            if isinstance(layer, L.Dense) and layer.n_in != width:
                raise ValueError(
                    f"layer {i} is Dense({layer.n_in}, {layer.n_out}) but the layer before "
                    f"it outputs {width} features"
                )
            width = layer.output_size(width)
        dtypes = {layer.dtype for layer in dense}
        if len(dtypes) > 1:
            raise TypeError(
                f"all Dense layers must share one dtype, got {sorted(map(str, dtypes))}"
            )
        if loss is not None and not isinstance(loss, Loss):
            raise TypeError(f"loss must be an nnscratch Loss, got {loss!r}")
        if len({id(layer) for layer in layers}) != len(layers):
            raise ValueError("the same layer object appears twice; create one per position")
        self.layers = list(layers)
        self.loss = loss
        self.n_in = dense[0].n_in
        self.n_out = width
        self.dtype = dense[0].dtype
        self.stop_training = False
        # set by fit when the loss became NaN or infinite (the reason); None otherwise
        self.diverged: str | None = None
        self.metadata: dict = {}
        self._pack()

    def _pack(self) -> None:
        """Put all parameters in one contiguous buffer, and all gradients in another.

        Each layer's ``params[k]`` and ``grads[k]`` become views into them, so
        an optimizer can update every weight in one vectorised operation and
        the training loop can save the weights with one copy. The values are
        unchanged; ``parameters()`` lists the views in layer order.
        """
        entries = [(layer, k) for layer in self.layers for k in layer.params]
        total = sum(layer.params[k].size for layer, k in entries)
        self.flat_params = np.empty(total, dtype=self.dtype)
        self.flat_grads = np.zeros(total, dtype=self.dtype)
        offset = 0
        for layer, k in entries:
            shape, size = layer.params[k].shape, layer.params[k].size
            view = self.flat_params[offset : offset + size].reshape(shape)
            view[...] = layer.params[k]
            layer.params[k] = view
            layer.grads[k] = self.flat_grads[offset : offset + size].reshape(shape)
            offset += size

    def __setstate__(self, state: dict) -> None:
        # pickle and deepcopy copy the layers' views apart from the flat buffers: re-pack
        self.__dict__.update(state)
        self._pack()

    # ---------------------------------------------------------------- math
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Output of the last layer (logits); layers keep what backward needs."""
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, grad: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Back-propagate dL/d(output); fills every layer's grads; returns dL/dx.

        Training needs no gradient for the data, so ``fit`` passes
        ``input_grad=False``: a first Dense layer then skips ``dx = g Wᵀ``.
        """
        first = self.layers[0]
        for layer in reversed(self.layers[1:]):
            grad = layer.backward(grad)
        if not input_grad and isinstance(first, L.Dense):
            first.param_backward(grad)
            return None
        return first.backward(grad)

    def parameters(self) -> list[np.ndarray]:
        """Every parameter array, in layer order (W before b); updated in place by optimizers."""
        return [p for layer in self.layers for p in layer.params.values()]

    def gradients(self) -> list[np.ndarray]:
        """The gradient arrays, aligned with ``parameters()``."""
        return [layer.grads[k] for layer in self.layers for k in layer.params]

    def penalty(self) -> float:
        """L2 penalty Σ_layers l2/2 · ‖W‖² (the term ``l2 * W`` in dW differentiates)."""
        return sum(layer.penalty() for layer in self.layers)

    @property
    def n_params(self) -> int:
        return sum(layer.n_params for layer in self.layers)

    # ---------------------------------------------------------------- state
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters by name: ``'0.W'``, ``'0.b'``, ``'2.W'``, ..."""
        return {
            f"{i}.{k}": p.copy()
            for i, layer in enumerate(self.layers)
            for k, p in layer.params.items()
        }

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy arrays into the parameters (same names, shapes and dtype)."""
        expected = {
            f"{i}.{k}": p for i, layer in enumerate(self.layers) for k, p in layer.params.items()
        }
        missing = sorted(set(expected) - set(state))
        extra = sorted(set(state) - set(expected))
        if missing or extra:
            raise ValueError(
                f"state does not fit this model: missing {missing}, unexpected {extra}"
            )
        for name, target in expected.items():
            value = np.asarray(state[name])
            if value.shape != target.shape:
                raise ValueError(f"{name} has shape {value.shape}, expected {target.shape}")
            if value.dtype != target.dtype:
                raise TypeError(f"{name} has dtype {value.dtype}, expected {target.dtype}")
        for name, target in expected.items():
            target[...] = state[name]

    # ---------------------------------------------------------------- use
    def _check_input(self, X) -> np.ndarray:
        return check_X(X, n_features=self.n_in, dtype=self.dtype)

    def _require_loss(self) -> Loss:
        if self.loss is None:
            raise ValueError(
                "this model has no loss yet, so its output has no link: train it with "
                "nnscratch.fit(model, loss, ...) or set model.loss"
            )
        return self.loss

    def decision_function(self, X) -> np.ndarray:
        """Raw network output (logits) for X (N, n_in): finite, or a ValueError.

        Finite inputs can overflow on the way (1e300 times a weight); the rows
        whose output is NaN or infinite are then named in a ValueError instead
        of being returned, and NumPy's overflow warnings are not shown.
        """
        X = self._check_input(X)
        if not np.isfinite(self.flat_params).all():
            raise ValueError(
                "the model's weights contain NaN or infinite values; retrain it (a smaller "
                "learning rate) or load a saved copy"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            output = self.forward(X)
        check_output_finite(output, X)
        return output

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (the loss's link applied to the logits)."""
        loss = self._require_loss()
        return loss.transform(self.decision_function(X))

    def predict(self, X) -> np.ndarray:
        """Class labels for classifiers, values for regression (the loss's decision rule)."""
        loss = self._require_loss()
        return loss.predict(self.decision_function(X))

    # ---------------------------------------------------------------- display
    def summary(self) -> str:
        """A table of layers, output shapes and parameter counts."""
        rows = [("#", "layer", "output shape", "params")]
        width = self.n_in
        for i, layer in enumerate(self.layers):
            width = layer.output_size(width)
            rows.append((str(i), repr(layer), f"(N, {width})", f"{layer.n_params:,}"))
        widths = [max(len(r[c]) for r in rows) for c in range(4)]
        rule = "-" * (sum(widths) + 6)
        lines = [rule]
        for j, row in enumerate(rows):
            lines.append(
                f"{row[0]:>{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  "
                f"{row[3]:>{widths[3]}}"
            )
            if j == 0:
                lines.append(rule)
        lines.append(rule)
        lines.append(f"total parameters: {self.n_params:,}   dtype: {self.dtype.name}")
        if self.loss is not None:
            lines.append(f"loss: {self.loss!r}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        inner = ",\n".join(f"  {layer!r}" for layer in self.layers)
        loss = f",\n  loss={self.loss!r}" if self.loss is not None else ""
        return f"Sequential(\n{inner}{loss}\n)"

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i):
        return self.layers[i]


def build_mlp(
    n_in: int,
    hidden_sizes: Sequence[int],
    n_out: int,
    *,
    activation="relu",
    weight_init="scaled_normal",
    bias_init="zeros",
    l2: float = 0.0,
    dropout: float = 0.0,
    rng=None,
    dtype=np.float64,
    loss: Loss | None = None,
) -> Sequential:
    """Dense → activation (→ Dropout) for each hidden size, then a Dense output layer.

    ``activation`` is one name for every hidden layer or a list, one per
    hidden layer. All Dense layers draw from the same ``rng`` in order (W1, b1,
    W2, b2, ...), so ``build_mlp(2, [3], 2, activation="tanh", l2=0.01, rng=0)``
    holds seed 000's initial weights.
    """
    n_in = check_positive_int(n_in, "n_in")
    n_out = check_positive_int(n_out, "n_out")
    if isinstance(hidden_sizes, (int, np.integer)):
        hidden_sizes = [hidden_sizes]
    hidden_sizes = [check_positive_int(h, "hidden size") for h in hidden_sizes]
    if isinstance(activation, L.Layer) and len(hidden_sizes) > 1:
        raise ValueError(
            "one activation layer object cannot serve several hidden layers; "
            "give its name or a list of layers"
        )
    if isinstance(activation, (str, L.Layer)):
        activations = [activation] * len(hidden_sizes)
    else:
        activations = list(activation)
        if len(activations) != len(hidden_sizes):
            raise ValueError(
                f"got {len(activations)} activations for {len(hidden_sizes)} hidden layers"
            )
    dropout = check_number(dropout, "dropout", low=0.0, high=1.0, high_open=True)
    rng = check_rng(rng)
    dtype = check_dtype(dtype)
    layers: list[L.Layer] = []
    width = n_in
    for size, act in zip(hidden_sizes, activations):
        layers.append(
            L.Dense(
                width,
                size,
                weight_init=weight_init,
                bias_init=bias_init,
                l2=l2,
                rng=rng,
                dtype=dtype,
            )
        )
        layers.append(L.activation(act) if isinstance(act, str) else act)
        if dropout:
            layers.append(L.Dropout(dropout, rng=rng))
        width = size
    layers.append(
        L.Dense(
            width, n_out, weight_init=weight_init, bias_init=bias_init, l2=l2, rng=rng, dtype=dtype
        )
    )
    return Sequential(*layers, loss=loss)
