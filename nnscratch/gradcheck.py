"""Gradient checking by central finite differences: public, so a user's new layer is checked too.

    ∂f/∂θ_i ≈ (f(θ + ε e_i) - f(θ - ε e_i)) / 2ε           (error O(ε²))

and the analytic gradient from ``backward`` is compared by the relative error
``‖g_analytic - g_numeric‖ / max(‖g_analytic‖, ‖g_numeric‖)`` for every
parameter array and for the input. Use float64: in float32 the differences
drown in rounding.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_number
from .layers import Layer
from .losses import Loss
from .network import Sequential


class GradcheckResult(dict):
    """Relative error per checked array (``'x'``, ``'0.W'``, ``'output'``, ...)."""

    def __init__(self, errors: dict[str, float], tolerance: float) -> None:
        super().__init__(errors)
        self.tolerance = tolerance

    @property
    def max_error(self) -> float:
        return max(self.values(), default=0.0)

    @property
    def passed(self) -> bool:
        return self.max_error <= self.tolerance

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        rows = ", ".join(f"{k}: {v:.2e}" for k, v in self.items())
        verdict = "passed" if self.passed else "FAILED"
        return f"GradcheckResult({verdict} at tolerance {self.tolerance:g}; {rows})"


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """‖a - n‖ / max(‖a‖, ‖n‖); 0 when both are zero.

    Both are divided by their largest entry first (the ratio is unchanged), so
    gradients of 1e200 do not overflow the norms.
    """
    analytic, numeric = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    largest = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0))
    if not largest > 0:
        return 0.0
    analytic, numeric = analytic / largest, numeric / largest
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric))
    return float(np.linalg.norm(analytic - numeric) / scale)


def numerical_gradient(f, array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar function ``f()`` with respect to ``array`` (in place)."""
    grad = np.zeros(array.shape, dtype=np.float64)
    flat = array.reshape(-1)
    if not np.shares_memory(flat, array):
        raise ValueError("numerical_gradient needs a contiguous array")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = f()
        flat[i] = old - eps
        f_minus = f()
        flat[i] = old
        grad.flat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def _rng_states(layers):
    """Snapshot every layer's random state so each evaluation draws the same numbers (dropout)."""
    states = []
    for layer in layers:
        rng = getattr(layer, "rng", None)
        if isinstance(rng, np.random.RandomState):
            states.append((rng, rng.get_state()))
        elif isinstance(rng, np.random.Generator):
            states.append((rng, rng.bit_generator.state))
    return states


def _restore(states) -> None:
    for rng, state in states:
        if isinstance(rng, np.random.RandomState):
            rng.set_state(state)
        else:
            rng.bit_generator.state = state


def _refuse_non_finite(name: str, array: np.ndarray, eps: float | None = None) -> None:
    if not np.isfinite(array).all():
        raise ValueError(
            f"gradcheck refused: {name} contains NaN or infinite values (a diverged model?); "
            "finite differences are meaningless there"
        )
    if eps is not None and array.size:
        largest = np.abs(array).max()
        if eps < 1e3 * np.spacing(largest):  # x ± eps would barely change, or not at all
            raise ValueError(
                f"gradcheck refused: {name} reaches {largest:.3g} in magnitude, where eps={eps:g} "
                f"is below the float resolution ({np.spacing(largest):.3g}); finite "
                "differences are meaningless there"
            )


# Overflow is reported as a refusal (non-finite values are checked below), not as warnings.
@np.errstate(over="ignore", invalid="ignore")
def gradcheck(
    target,
    x,
    y=None,
    *,
    loss: Loss | None = None,
    eps: float = 1e-6,
    tolerance: float = 1e-7,
    training: bool = False,
    seed: int = 0,
) -> GradcheckResult:
    """Compare analytic and numerical gradients of a Loss, a Layer or a Sequential model.

    * ``gradcheck(loss, output, target)``: d loss / d output.
    * ``gradcheck(layer_or_model, x, y, loss=loss)``: f = loss(model(x), y) + L2 penalty,
      with respect to every parameter and to x.
    * ``gradcheck(layer_or_model, x)``: f = Σ R ∘ model(x) + L2 penalty for a fixed
      random R (drawn from ``seed``), which tests backward for any upstream gradient.

    With ``training=True`` the layers run in training mode; random layers
    (dropout) replay the same draws at every evaluation.
    """
    eps = check_number(eps, "eps", low=0, low_open=True)
    x = np.array(x, dtype=np.float64 if np.asarray(x).dtype.kind in "biu" else None)
    _refuse_non_finite("the input", x, eps)

    if isinstance(target, Loss):
        target.forward(x, y)
        analytic = target.backward().copy()
        numeric = numerical_gradient(lambda: target.forward(x, y), x, eps)
        return GradcheckResult({"output": relative_error(analytic, numeric)}, tolerance)

    if isinstance(target, Sequential):
        layers, model = target.layers, target
    elif isinstance(target, Layer):
        layers, model = [target], target
    else:
        raise TypeError(
            f"gradcheck takes a Loss, a Layer or a Sequential, got {type(target).__name__}"
        )
    diverged = getattr(target, "diverged", None)
    if diverged:
        raise ValueError(
            "gradcheck refused: this model's training diverged (" + diverged.split(";")[0] + "); "
            "it keeps its last finite weights, but the loss there is so large that finite "
            "differences drown in rounding. Retrain it with a smaller learning rate first"
        )
    params = {f"{i}.{k}": p for i, layer in enumerate(layers) for k, p in layer.params.items()}
    for name, p in params.items():
        _refuse_non_finite(f"parameter {name}", p, eps)
    states = _rng_states(layers)

    def forward():
        _restore(states)
        return model.forward(x, training=training)

    if loss is not None:

        def objective():
            return loss.forward(forward(), y) + model.penalty()

        base = objective()
        upstream = loss.backward()
    else:
        weights = np.random.RandomState(seed).standard_normal(forward().shape)

        def objective():
            return float(np.vdot(weights, forward())) + model.penalty()

        base = objective()
        upstream = weights.astype(x.dtype)
    if not np.isfinite(base):
        raise ValueError(
            f"gradcheck refused: the checked function is {base} at these weights and input "
            "(a diverged model?); finite differences are meaningless there"
        )
    dx = model.backward(upstream).copy()
    analytic = {"x": dx}
    for i, layer in enumerate(layers):
        for k in layer.params:
            analytic[f"{i}.{k}"] = layer.grads[k].copy()
    for name, g in analytic.items():
        _refuse_non_finite(f"the analytic gradient of {name}", g)
    numeric = {"x": numerical_gradient(objective, x, eps)}
    for name, p in params.items():
        numeric[name] = numerical_gradient(objective, p, eps)
    for name, g in numeric.items():
        _refuse_non_finite(f"the numerical gradient of {name}", g)
    errors = {name: relative_error(analytic[name], numeric[name]) for name in analytic}
    return GradcheckResult(errors, tolerance)
