"""Optimizers update parameter arrays in place; schedules give the learning rate per step.

``step(params, grads)`` takes two lists aligned by position (what
``Sequential.parameters()`` and ``.gradients()`` return). State (velocities,
moments) is kept in lists aligned the same way, created on the first step in
the parameters' dtype. ``t`` counts the steps taken; the learning rate of
step t is ``lr`` or ``lr(t)`` when ``lr`` is a schedule.

Plain ``SGD(lr)`` computes ``p -= lr * g``: bit for bit the seeds' ``W += -epsilon * dW``.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import check_number, check_positive_int

# ---------------------------------------------------------------- schedules


class Schedule:
    """A learning rate as a function of the step counter t = 0, 1, 2, ..."""

    def __call__(self, t: int) -> float:
        raise NotImplementedError

    def config(self) -> dict:
        return dict(vars(self))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


class StepDecay(Schedule):
    """lr(t) = lr0 · gamma^floor(t / step_size)."""

    def __init__(self, lr0: float, step_size: int, gamma: float = 0.1) -> None:
        self.lr0 = check_number(lr0, "lr0", low=0, low_open=True)
        self.step_size = check_positive_int(step_size, "step_size")
        self.gamma = check_number(gamma, "gamma", low=0, high=1, low_open=True)

    def __call__(self, t: int) -> float:
        return self.lr0 * self.gamma ** (t // self.step_size)


class ExponentialDecay(Schedule):
    """lr(t) = lr0 · gamma^t."""

    def __init__(self, lr0: float, gamma: float = 0.999) -> None:
        self.lr0 = check_number(lr0, "lr0", low=0, low_open=True)
        self.gamma = check_number(gamma, "gamma", low=0, high=1, low_open=True)

    def __call__(self, t: int) -> float:
        return self.lr0 * self.gamma**t


class InverseScaling(Schedule):
    """lr(t) = lr0 / (t + 1)^power_t   (scikit-learn's "invscaling")."""

    def __init__(self, lr0: float, power_t: float = 0.5) -> None:
        self.lr0 = check_number(lr0, "lr0", low=0, low_open=True)
        self.power_t = check_number(power_t, "power_t", low=0)

    def __call__(self, t: int) -> float:
        return self.lr0 / (t + 1) ** self.power_t


class CosineDecay(Schedule):
    """lr(t) = lr_min + ½ (lr0 - lr_min)(1 + cos(π · min(t, T) / T))."""

    def __init__(self, lr0: float, total_steps: int, lr_min: float = 0.0) -> None:
        self.lr0 = check_number(lr0, "lr0", low=0, low_open=True)
        self.total_steps = check_positive_int(total_steps, "total_steps")
        self.lr_min = check_number(lr_min, "lr_min", low=0, high=self.lr0)

    def __call__(self, t: int) -> float:
        progress = min(t, self.total_steps) / self.total_steps
        return self.lr_min + 0.5 * (self.lr0 - self.lr_min) * (1 + math.cos(math.pi * progress))


SCHEDULES = {
    cls.__name__: cls for cls in (StepDecay, ExponentialDecay, InverseScaling, CosineDecay)
}


# ---------------------------------------------------------------- optimizers


# A long parameter vector (``fit`` passes all weights as one) is updated in blocks
# of this many values. Each pass of ``update`` (lr·g, then p minus that; Adam has
# ten) over a whole vector larger than the cache is a round trip to memory; over a
# block, the passes after the first find p, g, the state and the scratch in cache
# (256 KiB of each in float64; the scratch is the same block every time).
# Measured on W4's 670k weights (float64, the update alone, cache cold): SGD 0.78 ->
# 0.48 ms, momentum 1.5 -> 0.9 ms, Adam 4.7 -> 3.2 ms; W4's whole step inside fit,
# paired in one process: -3.5 %, -4 %, -9 %. Smaller vectors, and arrays of two or
# more dimensions, are one block.
BLOCK = 32768


class Optimizer:
    """Base: learning rate (number or schedule), step counter, state lists."""

    # keys of ``init_state`` that are scratch space (overwritten by every update), not state
    scratch_keys: tuple[str, ...] = ()

    def __init__(self, lr) -> None:
        if isinstance(lr, Schedule):
            self.lr = lr
        else:
            self.lr = check_number(lr, "learning rate lr", low=0, low_open=True)
        self.t = 0
        self.state: list[dict[str, np.ndarray]] | None = None

    def current_lr(self) -> float:
        """The learning rate the next step will use.

        A schedule's value is taken as a Python float: a NumPy float64 (from
        ``np.cos``, say) would pull a float32 model's update into float64.
        """
        if not isinstance(self.lr, Schedule):
            return self.lr
        lr = float(self.lr(self.t))
        if not 0 <= lr < math.inf:
            raise ValueError(
                f"{self.lr!r} gave the learning rate {lr} at step {self.t}; "
                "expected a finite number >= 0"
            )
        return lr

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Update every ``params[i]`` in place from ``grads[i]``."""
        if self.state is None:
            self.state = [self.init_state(p) for p in params]
        elif len(self.state) != len(params):
            raise ValueError(
                f"this optimizer holds state for {len(self.state)} parameters but got "
                f"{len(params)}; use a fresh optimizer for another model"
            )
        lr = self.current_lr()
        self.t += 1
        for p, g, s in zip(params, grads, self.state):
            if p.ndim == 1 and p.size > BLOCK:
                self._update_in_blocks(p, g, s, lr)
            else:
                self.update(p, g, s, lr)

    def _update_in_blocks(self, p, g, state, lr) -> None:
        """``update`` on p[i:i+BLOCK] for i = 0, BLOCK, ...: the same arithmetic, in cache."""
        for start in range(0, p.size, BLOCK):
            block = slice(start, start + BLOCK)
            size = min(BLOCK, p.size - start)
            block_state = {
                k: v[:size] if k in self.scratch_keys else v[block] for k, v in state.items()
            }
            self.update(p[block], g[block], block_state, lr)

    def init_state(self, p: np.ndarray) -> dict[str, np.ndarray]:
        return {}

    def update(self, p: np.ndarray, g: np.ndarray, state: dict, lr: float) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget the state and the step counter."""
        self.t = 0
        self.state = None

    def config(self) -> dict:
        config = {k: v for k, v in vars(self).items() if k not in ("t", "state")}
        if isinstance(self.lr, Schedule):
            config["lr"] = {"schedule": type(self.lr).__name__, **self.lr.config()}
        return config

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k not in ("t", "state"))
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Gradient descent, optionally with (Nesterov) momentum (scikit-learn's form).

    plain:     p ← p - lr·g
    momentum:  v ← μ·v - lr·g;  p ← p + v
    Nesterov:  v ← μ·v - lr·g;  p ← p + μ·v - lr·g
    """

    def __init__(self, lr=0.01, momentum: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(lr)
        self.momentum = check_number(momentum, "momentum", low=0, high=1, high_open=True)
        if not isinstance(nesterov, bool):
            raise TypeError(f"nesterov must be True or False, got {nesterov!r}")
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0")
        self.nesterov = nesterov

    scratch_keys = ("step", "look_ahead")

    def init_state(self, p):
        state = {"step": np.empty_like(p)}
        if self.momentum:
            state["v"] = np.zeros_like(p)
        if self.nesterov:
            state["look_ahead"] = np.empty_like(p)
        return state

    def update(self, p, g, state, lr):
        step = np.multiply(g, lr, out=state["step"])  # lr·g
        if not self.momentum:
            p -= step
            return
        v = state["v"]
        v *= self.momentum
        v -= step
        if self.nesterov:
            look_ahead = np.multiply(v, self.momentum, out=state["look_ahead"])
            look_ahead -= step
            p += look_ahead
        else:
            p += v


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015; the efficient form of section 2, as scikit-learn):

    m ← β1·m + (1-β1)·g;   v ← β2·v + (1-β2)·g²
    lr_t = lr · sqrt(1 - β2^t) / (1 - β1^t)          (t counted from 1)
    p ← p - lr_t · m / (sqrt(v) + ε)
    """

    def __init__(self, lr=0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(lr)
        self.beta1 = check_number(beta1, "beta1", low=0, high=1, high_open=True)
        self.beta2 = check_number(beta2, "beta2", low=0, high=1, high_open=True)
        self.eps = check_number(eps, "eps", low=0, low_open=True)

    scratch_keys = ("scratch", "denominator")

    def init_state(self, p):
        return {k: np.zeros_like(p) for k in ("m", "v", "scratch", "denominator")}

    def update(self, p, g, state, lr):
        m, v, scratch, denominator = state["m"], state["v"], state["scratch"], state["denominator"]
        m *= self.beta1
        m += np.multiply(g, 1 - self.beta1, out=scratch)
        v *= self.beta2
        np.multiply(g, g, out=scratch)
        v += np.multiply(scratch, 1 - self.beta2, out=scratch)
        lr_t = lr * math.sqrt(1 - self.beta2**self.t) / (1 - self.beta1**self.t)
        np.sqrt(v, out=denominator)
        denominator += self.eps
        np.multiply(m, lr_t, out=scratch)
        p -= np.divide(scratch, denominator, out=scratch)


class _Adaptive(Optimizer):
    """Shared step of RMSProp and AdaGrad: p ← p - lr · g / (sqrt(s) + ε)."""

    scratch_keys = ("scratch", "denominator")

    def init_state(self, p):
        return {k: np.zeros_like(p) for k in ("s", "scratch", "denominator")}

    def accumulate(self, s: np.ndarray, g2: np.ndarray) -> None:
        raise NotImplementedError

    def update(self, p, g, state, lr):
        s, scratch, denominator = state["s"], state["scratch"], state["denominator"]
        self.accumulate(s, np.multiply(g, g, out=scratch))
        np.sqrt(s, out=denominator)
        denominator += self.eps
        np.multiply(g, lr, out=scratch)
        p -= np.divide(scratch, denominator, out=scratch)


class RMSProp(_Adaptive):
    """RMSProp (Hinton):  s ← ρ·s + (1-ρ)·g²;   p ← p - lr · g / (sqrt(s) + ε)."""

    def __init__(self, lr=0.001, rho: float = 0.9, eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.rho = check_number(rho, "rho", low=0, high=1, high_open=True)
        self.eps = check_number(eps, "eps", low=0, low_open=True)

    def accumulate(self, s, g2):
        s *= self.rho
        s += np.multiply(g2, 1 - self.rho, out=g2)


class AdaGrad(_Adaptive):
    """AdaGrad (Duchi et al.):  s ← s + g²;   p ← p - lr · g / (sqrt(s) + ε)."""

    def __init__(self, lr=0.01, eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.eps = check_number(eps, "eps", low=0, low_open=True)

    def accumulate(self, s, g2):
        s += g2


OPTIMIZERS = {cls.__name__: cls for cls in (SGD, Adam, RMSProp, AdaGrad)}

ALIASES = {"sgd": SGD, "adam": Adam, "rmsprop": RMSProp, "adagrad": AdaGrad}
# SGD by other names, with their default settings (keyword arguments override them)
SGD_VARIANTS = {"momentum": {"momentum": 0.9}, "nesterov": {"momentum": 0.9, "nesterov": True}}


def get(optimizer, **kwargs) -> Optimizer:
    """An optimizer from an instance or a name with parameters.

    Names: sgd, adam, rmsprop, adagrad, and momentum / nesterov for SGD with
    momentum 0.9 (plain or Nesterov) unless ``momentum=`` says otherwise.
    """
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer in SGD_VARIANTS:
        return SGD(**{**SGD_VARIANTS[optimizer], **kwargs})
    cls = ALIASES.get(optimizer) if isinstance(optimizer, str) else None
    if cls is None:
        names = ", ".join([*ALIASES, *SGD_VARIANTS])
        raise ValueError(f"unknown optimizer {optimizer!r}; expected one of {names}")
    return cls(**kwargs)
