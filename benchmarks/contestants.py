"""The contestants: one object per (implementation, workload, dtype), each with ``run(epochs)``.

* ``nnscratch``  -- ``nn.fit`` through the public API, ``epochs`` epochs per call.
* ``nnscratch_numba`` -- the same ``nn.fit`` call with ``engine="numba"`` (the optional
                    compiled epochs of ``nnscratch.compiled``), JIT warmed up before
                    timing. Absent when numba is missing or the model is unsupported.
* ``loop``       -- the minimal hand-written NumPy loop (Denny Britz's tutorial style,
                    verbatim ``delta3[range(n), y] -= 1``), generalized to the depth,
                    activation and batching of the workload. It computes no loss value.
* ``loop_arange``-- the same loop with the row index hoisted out as ``np.arange(n)``
                    (information only: ``range(n)`` costs 4-12 us per step on its own).
* ``matmul``     -- the bound: only the matrix products of one step (forward, then dW
                    and the backward products except the first layer's input gradient) on
                    preallocated arrays with ``out=``. No activations, softmax or updates.
* ``sklearn``    -- scikit-learn's ``MLPClassifier(solver="sgd", momentum=0)``: one
                    ``fit`` call with ``warm_start=True`` and ``max_iter=epochs``.
* ``torch``      -- PyTorch eager (optional): ``nn.Sequential`` of Linear/Tanh|ReLU,
                    ``CrossEntropyLoss``, ``torch.optim.SGD``.

All start from the same weights (nnscratch's ``build_mlp(..., rng=0)``) except where a
contestant's own network differs (scikit-learn on two classes: see ``SklearnMLP``).
"""

from __future__ import annotations

import warnings

import numpy as np

from .workloads import Workload, build_model


class Contestant:
    name = ""

    def __init__(self, workload: Workload, X: np.ndarray, y: np.ndarray, params) -> None:
        self.workload = workload
        self.X = X
        self.y = y
        self.dtype = X.dtype
        self.n = len(X)

    def run(self, epochs: int) -> None:
        raise NotImplementedError

    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Current (W (n_in, n_out), b (n_out,)) pairs, nnscratch's layout."""
        raise NotImplementedError


# ---------------------------------------------------------------- nnscratch


class NnscratchFit(Contestant):
    name = "nnscratch"

    def __init__(self, workload, X, y, params) -> None:
        super().__init__(workload, X, y, params)
        import nnscratch as nn

        self.nn = nn
        self.model = build_model(workload, X.dtype)
        dense = [i for i, layer in enumerate(self.model.layers) if isinstance(layer, nn.Dense)]
        state = {}
        for i, (W, b) in zip(dense, params):
            state[f"{i}.W"], state[f"{i}.b"] = W.astype(X.dtype), b.astype(X.dtype)
        self.model.load_state_dict(state)
        self.dense = [self.model.layers[i] for i in dense]
        self.loss = nn.SoftmaxCrossEntropy(reduction=workload.reduction)
        self.optimizer = nn.SGD(workload.lr)
        self.rng = np.random.RandomState(0)
        self.history = None
        self.diverged = False

    engine = "numpy"

    def run(self, epochs: int, callbacks=()) -> None:
        w = self.workload
        self.history = self.nn.fit(
            self.model,
            self.loss,
            self.optimizer,
            self.X,
            self.y,
            epochs=epochs,
            batch_size=w.batch_size,
            shuffle=w.shuffle,
            rng=self.rng,
            callbacks=list(callbacks),
            engine=self.engine,
        )
        self.diverged = self.diverged or self.history.diverged

    def weights(self):
        return [(d.W.copy(), d.b.copy()) for d in self.dense]


def numba_unavailable(workload: Workload, dtype=np.float64) -> str | None:
    """Why ``engine="numba"`` cannot run this workload (None: it can)."""
    from nnscratch import compiled

    if not compiled.available():
        return "numba is not installed"
    import nnscratch as nn

    model = build_model(workload, dtype)
    return compiled.unsupported_reason(
        model, nn.SoftmaxCrossEntropy(reduction=workload.reduction), nn.SGD(workload.lr)
    )


class NnscratchNumba(NnscratchFit):
    """``nn.fit(..., engine="numba")``: the same call as ``NnscratchFit``, compiled epochs.

    numba compiles its kernels on the first ``fit`` of a dtype (~10 s); ``warm=True``
    (the default) trains a throw-away copy of the model for one epoch on the same
    data first, so timing starts with a warm JIT and the timed model still starts
    from the common weights.
    """

    name = "nnscratch_numba"
    engine = "numba"

    def __init__(self, workload, X, y, params, warm: bool = True) -> None:
        super().__init__(workload, X, y, params)
        from nnscratch import compiled

        reason = compiled.unsupported_reason(self.model, self.loss, self.optimizer)
        if reason is not None:
            raise ValueError(f"engine='numba' cannot run {workload.key}: {reason}")
        if warm:
            scratch = NnscratchFit(workload, X, y, params)
            scratch.engine = "numba"
            scratch.run(1)


# ---------------------------------------------------------------- the hand-written loop


class ReferenceLoop(Contestant):
    """The tutorial's loop, generalized (``rows="range"`` is the verbatim form).

    Full batch, W1 (one hidden tanh layer), it is the tutorial's code line for line::

        z1 = X.dot(W1) + b1; a1 = np.tanh(z1); z2 = a1.dot(W2) + b2
        exp_scores = np.exp(z2); probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        delta3 = probs; delta3[range(n), y] -= 1
        dW2 = (a1.T).dot(delta3); db2 = np.sum(delta3, axis=0, keepdims=True)
        delta2 = delta3.dot(W2.T) * (1 - np.power(a1, 2))
        dW1 = np.dot(X.T, delta2); db1 = np.sum(delta2, axis=0)
        dW2 += reg_lambda * W2; dW1 += reg_lambda * W1
        W1 += -epsilon * dW1; b1 += -epsilon * db1; W2 += -epsilon * dW2; b2 += -epsilon * db2

    "mean" reduction divides delta3 by the batch size; ReLU uses ``np.maximum(z, 0)``
    and ``delta * (a > 0)``. Mini-batches: ``order = rng.permutation(n)`` per epoch
    and ``X[idx]``, ``y[idx]`` per step. No loss value is computed (``objective`` does,
    for the tests).
    """

    name = "loop"

    def __init__(self, workload, X, y, params, rows: str = "range") -> None:
        super().__init__(workload, X, y, params)
        self.Ws = [np.array(W, dtype=X.dtype) for W, _ in params]
        self.bs = [np.array(b, dtype=X.dtype).reshape(1, -1) for _, b in params]
        self.rows = rows
        if rows not in ("range", "arange"):
            raise ValueError(rows)
        if rows == "arange":
            self.name = "loop_arange"
        self.rng = np.random.RandomState(0)

    def _step(self, X, y) -> None:
        Ws, bs = self.Ws, self.bs
        epsilon, reg_lambda = self.workload.lr, self.workload.l2
        relu = self.workload.activation == "relu"
        n = len(X)
        # forward propagation
        a = X
        activations = [X]
        for W, b in zip(Ws[:-1], bs[:-1]):
            z = a.dot(W) + b
            a = np.maximum(z, 0) if relu else np.tanh(z)
            activations.append(a)
        z = a.dot(Ws[-1]) + bs[-1]
        exp_scores = np.exp(z)
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        # backpropagation
        delta = probs
        if self.rows == "range":
            delta[range(n), y] -= 1
        else:
            delta[np.arange(n), y] -= 1
        if self.workload.reduction == "mean":
            delta /= n
        for i in range(len(Ws) - 1, -1, -1):
            a = activations[i]
            dW = (a.T).dot(delta)
            db = np.sum(delta, axis=0, keepdims=True)
            if i > 0:
                delta = delta.dot(Ws[i].T) * ((a > 0) if relu else (1 - np.power(a, 2)))
            if reg_lambda:
                dW += reg_lambda * Ws[i]
            Ws[i] += -epsilon * dW
            bs[i] += -epsilon * db

    def run(self, epochs: int) -> None:
        X, y, w = self.X, self.y, self.workload
        if w.batch_size is None or w.batch_size >= self.n:
            for _ in range(epochs):
                self._step(X, y)
            return
        for _ in range(epochs):
            order = self.rng.permutation(self.n) if w.shuffle else np.arange(self.n)
            for start in range(0, self.n, w.batch_size):
                idx = order[start : start + w.batch_size]
                self._step(X[idx], y[idx])

    def objective(self, X, y) -> float:
        """Data loss (reduced as the workload says) plus the L2 penalty, as nnscratch logs it."""
        a = X
        for W, b in zip(self.Ws[:-1], self.bs[:-1]):
            z = a.dot(W) + b
            a = np.maximum(z, 0) if self.workload.activation == "relu" else np.tanh(z)
        z = a.dot(self.Ws[-1]) + self.bs[-1]
        z = z - z.max(axis=1, keepdims=True)
        log_probs = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
        data_loss = -np.sum(log_probs[np.arange(len(X)), y])
        penalty = self.workload.l2 / 2 * sum(np.sum(np.square(W)) for W in self.Ws)
        if self.workload.reduction == "mean":
            data_loss /= len(X)
        return float(data_loss + penalty)

    def weights(self):
        return [(W.copy(), b.ravel().copy()) for W, b in zip(self.Ws, self.bs)]


# ---------------------------------------------------------------- the bound


class BareMatmul(Contestant):
    """Only the matrix products of a training step, on preallocated arrays (``out=``).

    ``np.matmul``, the call nnscratch makes. ``np.dot`` (the bound's call until
    2026-12-03) took 11-15 % longer for W4's weight-gradient products (a transposed
    first operand, batch 256; no difference at 2048), a looser bound.

    Per step with L Dense layers: L forward products ``a_i @ W_i``, L weight
    gradients ``a_iᵀ @ delta_i`` and L - 1 input gradients ``delta_i @ W_iᵀ`` (the
    first layer's, dL/dX, is never needed). Mini-batches use one fixed contiguous
    batch per batch size: no gather, no shuffling, nothing else.
    """

    name = "matmul"

    def __init__(self, workload, X, y, params) -> None:
        super().__init__(workload, X, y, params)
        self.Ws = [np.array(W, dtype=X.dtype) for W, _ in params]
        self.dWs = [np.empty_like(W) for W in self.Ws]
        self.sizes = workload.batch_sizes(self.n)
        rng = np.random.default_rng(1)
        self.buffers = {}
        for b in set(self.sizes):
            acts = [np.ascontiguousarray(X[:b])]
            acts += [np.empty((b, W.shape[1]), X.dtype) for W in self.Ws]
            deltas = [
                (0.01 * rng.standard_normal((b, W.shape[1]))).astype(X.dtype) for W in self.Ws
            ]
            self.buffers[b] = (acts, deltas)

    def run(self, epochs: int) -> None:
        Ws, dWs = self.Ws, self.dWs
        L = len(Ws)
        for _ in range(epochs):
            for b in self.sizes:
                acts, deltas = self.buffers[b]
                for i in range(L):
                    np.matmul(acts[i], Ws[i], out=acts[i + 1])
                for i in range(L - 1, -1, -1):
                    np.matmul(acts[i].T, deltas[i], out=dWs[i])
                    if i > 0:
                        np.matmul(deltas[i], Ws[i].T, out=deltas[i - 1])

    def weights(self):
        raise NotImplementedError("the bound does not train")


# ---------------------------------------------------------------- scikit-learn


class SklearnMLP(Contestant):
    """``MLPClassifier(solver="sgd", momentum=0, learning_rate="constant")``.

    Timed as one ``fit`` call per sample with ``warm_start=True`` and
    ``max_iter=epochs`` (never stopping early: ``tol=0``, ``n_iter_no_change``
    huge, no early stopping), exactly as ``nn.fit(epochs=...)`` is timed, so the
    per-call input validation is amortized the same way.

    scikit-learn divides the L2 term by the batch size and always uses a mean
    loss, so the same update needs ``alpha = l2 * batch`` (mean reduction) and,
    for a summed loss, ``learning_rate_init = lr * batch`` (full batch only).
    On two classes scikit-learn's network has ONE logistic output unit instead
    of two softmax units: an equivalent model with a slightly smaller last
    layer (its output weights start as W[:, 1] - W[:, 0]).
    """

    name = "sklearn"

    def __init__(self, workload, X, y, params) -> None:
        super().__init__(workload, X, y, params)
        from sklearn.neural_network import MLPClassifier

        batch = self.n if workload.batch_size is None else min(workload.batch_size, self.n)
        if workload.reduction == "sum":
            if batch != self.n:
                raise ValueError("a summed loss maps to scikit-learn only for full batches")
            lr, alpha = workload.lr * batch, workload.l2
        else:
            lr, alpha = workload.lr, workload.l2 * batch
        self.clf = MLPClassifier(
            hidden_layer_sizes=workload.hidden,
            activation="tanh" if workload.activation == "tanh" else "relu",
            solver="sgd",
            alpha=alpha,
            batch_size=batch,
            learning_rate="constant",
            learning_rate_init=lr,
            momentum=0.0,
            nesterovs_momentum=False,
            shuffle=workload.shuffle,
            random_state=0,
            tol=0.0,
            n_iter_no_change=2**31 - 1,
            early_stopping=False,
            max_iter=1,
            warm_start=True,
        )
        self._fit(1)  # creates the network (one epoch), then the common weights go in
        self.set_weights(params)

    def _fit(self, epochs: int) -> None:
        self.clf.max_iter = epochs
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter, every call
            self.clf.fit(self.X, self.y)
        if self.clf.n_iter_ != epochs:
            raise RuntimeError(f"scikit-learn ran {self.clf.n_iter_} epochs, not {epochs}")

    @property
    def binary(self) -> bool:
        return self.clf.coefs_[-1].shape[1] == 1

    def set_weights(self, params, binary_output: str = "difference") -> None:
        """Copy (W, b) pairs in; on two classes the logistic unit gets W[:, 1] - W[:, 0]."""
        for i, (W, b) in enumerate(params):
            W = np.asarray(W, self.dtype)
            b = np.asarray(b, self.dtype)
            if i == len(params) - 1 and self.binary and W.shape[1] == 2:
                W, b = W[:, 1:] - W[:, :1], b[1:] - b[:1]
            np.copyto(self.clf.coefs_[i], W)
            np.copyto(self.clf.intercepts_[i], b)

    def run(self, epochs: int) -> None:
        self._fit(epochs)

    def weights(self):
        return [(W.copy(), b.copy()) for W, b in zip(self.clf.coefs_, self.clf.intercepts_)]


# ---------------------------------------------------------------- PyTorch (optional)


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


class TorchEager(Contestant):
    """PyTorch eager: ``nn.Sequential(Linear, Tanh|ReLU, ..., Linear)``,
    ``CrossEntropyLoss(reduction=...)``, ``optim.SGD`` with weight decay on the
    weights only (nnscratch's L2 never touches the biases). Threads: as many
    as NumPy's BLAS uses. Mini-batches: ``torch.randperm`` per epoch and
    ``X[idx]``. No ``loss.item()`` per step.
    """

    name = "torch"

    def __init__(self, workload, X, y, params, threads: int | None = None) -> None:
        super().__init__(workload, X, y, params)
        import torch

        self.torch = torch
        if threads:
            torch.set_num_threads(threads)
        tdtype = torch.float64 if X.dtype == np.float64 else torch.float32
        modules = []
        weights, biases = [], []
        for i, (W, b) in enumerate(params):
            linear = torch.nn.Linear(W.shape[0], W.shape[1], dtype=tdtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T, X.dtype)))
                linear.bias.copy_(torch.from_numpy(np.asarray(b, X.dtype)))
            modules.append(linear)
            weights.append(linear.weight)
            biases.append(linear.bias)
            if i < len(params) - 1:
                modules.append(
                    torch.nn.Tanh() if workload.activation == "tanh" else torch.nn.ReLU()
                )
        self.model = torch.nn.Sequential(*modules)
        self.criterion = torch.nn.CrossEntropyLoss(reduction=workload.reduction)
        self.optimizer = torch.optim.SGD(
            [
                {"params": weights, "weight_decay": workload.l2},
                {"params": biases, "weight_decay": 0.0},
            ],
            lr=workload.lr,
        )
        self.Xt = torch.from_numpy(X)
        self.yt = torch.from_numpy(y.astype(np.int64))
        self.generator = torch.Generator().manual_seed(0)
        self.first_losses: list[float] = []
        self.record = False

    def _step(self, xb, yb) -> None:
        self.optimizer.zero_grad()
        loss = self.criterion(self.model(xb), yb)
        loss.backward()
        self.optimizer.step()
        if self.record:
            self.first_losses.append(float(loss.item()))

    def run(self, epochs: int) -> None:
        w, torch = self.workload, self.torch
        if w.batch_size is None or w.batch_size >= self.n:
            for _ in range(epochs):
                self._step(self.Xt, self.yt)
            return
        for _ in range(epochs):
            if w.shuffle:
                order = torch.randperm(self.n, generator=self.generator)
            else:
                order = torch.arange(self.n)
            for start in range(0, self.n, w.batch_size):
                idx = order[start : start + w.batch_size]
                self._step(self.Xt[idx], self.yt[idx])

    def weights(self):
        linears = [m for m in self.model if isinstance(m, self.torch.nn.Linear)]
        return [
            (m.weight.detach().numpy().T.copy(), m.bias.detach().numpy().copy()) for m in linears
        ]


def make_contestants(
    workload: Workload,
    X,
    y,
    params,
    *,
    names=None,
    threads: int | None = None,
) -> dict[str, Contestant]:
    """Every available contestant for one workload and dtype, in table order."""
    wanted = names or [
        "nnscratch",
        "nnscratch_numba",
        "loop",
        "loop_arange",
        "matmul",
        "sklearn",
        "torch",
    ]
    out: dict[str, Contestant] = {}
    for name in wanted:
        if name == "nnscratch":
            out[name] = NnscratchFit(workload, X, y, params)
        elif name == "nnscratch_numba":
            if numba_unavailable(workload, X.dtype) is None:
                out[name] = NnscratchNumba(workload, X, y, params)
        elif name == "loop":
            out[name] = ReferenceLoop(workload, X, y, params)
        elif name == "loop_arange":
            out[name] = ReferenceLoop(workload, X, y, params, rows="arange")
        elif name == "matmul":
            out[name] = BareMatmul(workload, X, y, params)
        elif name == "sklearn":
            out[name] = SklearnMLP(workload, X, y, params)
        elif name == "torch":
            if torch_available():
                out[name] = TorchEager(workload, X, y, params, threads=threads)
        else:
            raise ValueError(f"unknown contestant {name!r}")
    return out
