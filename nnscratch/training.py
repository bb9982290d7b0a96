"""The training loop: ``train_step`` (four lines of math) and ``fit`` around it.

One step, as the seeds write it:

    output = model.forward(x, training=True)     # forward pass, logits
    value = loss.compute(output, y)              # loss value; keeps dL/d(output)
    model.backward(loss.backward())              # backprop: fills every layer's grads
    optimizer.step(params, grads)                # W -= lr * dW, ...

``fit`` adds mini-batches, shuffling, validation, History, callbacks, a stop
on a non-finite loss that keeps the last finite weights, and a clean Ctrl-C.
Data are checked once, before the first step; nothing is checked per step.
"""

from __future__ import annotations

import math
import warnings
from functools import partial

import numpy as np

from ._buffers import reused
from ._validation import check_lengths, check_number, check_positive_int, check_rng, check_X
from .callbacks import Callback
from .checkpoint import LastGoodWeights, can_replay
from .losses import Loss
from .network import Sequential
from .optimizers import Optimizer


class History:
    """What ``fit`` returns: per-epoch logs, and how training ended.

    ``history["loss"]`` (or ``history.history["loss"]``) is the list of the
    training objective per epoch, measured on the forward passes of that
    epoch (before each update, as Keras does). ``epoch`` lists the epoch
    numbers; ``stop_reason`` says why training ended early (None if it ran all
    epochs); ``interrupted`` is True after Ctrl-C; ``diverged`` after a
    non-finite loss.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.stop_reason: str | None = None
        self.interrupted = False
        self.diverged = False

    def append(self, epoch: int, logs: dict) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key in self.history

    def keys(self):
        return self.history.keys()

    def __len__(self) -> int:
        return len(self.epoch)

    def __repr__(self) -> str:
        end = f", stop_reason={self.stop_reason!r}" if self.stop_reason else ""
        return f"History(epochs={len(self)}, keys={list(self.history)}{end})"


def train_step(model: Sequential, loss: Loss, optimizer: Optimizer, x, y, *, checkpoint=None):
    """One gradient step on (x, y); returns (data loss of the forward pass, output).

    ``x`` and ``y`` must already be prepared (``check_X``, ``loss.check_target``).
    If the loss is not finite, nothing is updated and the value is returned so
    the caller can stop. Otherwise, if ``checkpoint`` (an array shaped like
    ``model.flat_params``) is given, the current weights, which just produced
    a finite loss, are copied into it before the update. The optimizer sees
    all weights as one flat array (``model.flat_params``).
    """
    output = model.forward(x, training=True)
    value = loss.compute(output, y)
    if not math.isfinite(value):
        return value, output
    if checkpoint is not None:
        np.copyto(checkpoint, model.flat_params)
    model.backward(loss.backward(), input_grad=False)
    optimizer.step([model.flat_params], [model.flat_grads])
    return value, output


def _count_correct(loss: Loss, output: np.ndarray, truth: np.ndarray, buffers=None) -> int:
    """Correct predictions in a batch (a multi-label row counts only if every label is right).

    With ``buffers`` (fit's), the predictions and matches go into arrays kept
    from batch to batch.
    """
    if buffers is None:
        matches = loss.predict(output) == truth
    else:
        predicted = loss.predict(output, out=reused(buffers, "predicted", truth.shape, truth.dtype))
        matches = np.equal(predicted, truth, out=reused(buffers, "matches", truth.shape, bool))
    if matches.ndim == 2:
        rows = None if buffers is None else reused(buffers, "rows", truth.shape[:1], bool)
        return int(np.count_nonzero(matches.all(axis=1, out=rows)))
    return int(np.count_nonzero(matches))


def evaluate(model: Sequential, loss: Loss, X, y) -> dict[str, float]:
    """Loss (data + L2 penalty), data loss, penalty and, for classifiers, accuracy on (X, y)."""
    X = check_X(X, n_features=model.n_in, dtype=model.dtype)
    y = loss.check_target(y, model.n_out, model.dtype)
    check_lengths(X, y)
    with np.errstate(over="ignore", invalid="ignore"):
        logs = _evaluate(model, loss, X, y)
    if not math.isfinite(logs["loss"]):
        model.decision_function(X)  # names the overflowing rows, if the output overflowed
        raise ValueError(
            f"the loss on these data overflows {model.dtype} (it is {logs['loss']}); "
            "scale the inputs and targets"
        )
    return logs


def _evaluate(model, loss, X, y) -> dict[str, float]:
    output = model.forward(X)
    data_loss = loss.compute(output, y)
    penalty = model.penalty()
    logs = {"loss": data_loss + penalty, "data_loss": data_loss, "penalty": penalty}
    if loss.is_classifier:
        logs["accuracy"] = _count_correct(loss, output, loss.labels(y)) / len(X)
    return logs


def _split(X, y, validation_data, validation_split, model, loss):
    """Hold out validation data: given explicitly, or the last fraction of (X, y) (as Keras)."""
    if validation_data is not None and validation_split:
        raise ValueError("give validation_data or validation_split, not both")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError("validation_data must be a pair (X_val, y_val)")
        X_val = check_X(validation_data[0], n_features=model.n_in, dtype=model.dtype, name="X_val")
        y_val = loss.check_target(validation_data[1], model.n_out, model.dtype)
        check_lengths(X_val, y_val, ("X_val", "y_val"))
        return X, y, (X_val, y_val)
    split = check_number(validation_split, "validation_split", low=0.0, high=1.0, high_open=True)
    if not split:
        return X, y, None
    n_val = int(round(len(X) * split))
    if n_val < 1 or n_val >= len(X):
        raise ValueError(
            f"validation_split={split} of {len(X)} samples leaves {n_val} for validation and "
            f"{len(X) - n_val} for training; both need at least 1"
        )
    return X[:-n_val], y[:-n_val], (X[-n_val:], y[-n_val:])


class _Diverged(Exception):
    pass


class DivergenceWarning(RuntimeWarning):
    """Training stopped because the loss became NaN or infinite (see ``History.stop_reason``)."""


def fit(
    model: Sequential,
    loss: Loss,
    optimizer: Optimizer,
    X,
    y,
    *,
    epochs: int = 1,
    batch_size: int | None = None,
    shuffle: bool = True,
    rng=None,
    validation_data=None,
    validation_split: float = 0.0,
    callbacks: list[Callback] | tuple = (),
    engine: str = "numpy",
) -> History:
    """Train ``model`` on (X, y) and return its History.

    Parameters
    ----------
    model, loss, optimizer : the network, its objective and the update rule.
        The model remembers ``loss`` (``model.loss``) for ``predict_proba``.
    X : (N, n_in) numbers, converted once to the model's dtype.
    y : targets as the loss takes them (labels, one-hot, values).
    epochs : passes over the data.
    batch_size : None (or >= N) for full-batch gradient descent, as the seeds do.
    shuffle : reshuffle mini-batches every epoch, drawing from ``rng``. A full
        batch keeps the data order (shuffling it would change nothing but the
        summation order).
    rng : None (numpy's global state), an int seed, RandomState or Generator.
    validation_data : (X_val, y_val), or ``validation_split``: the last fraction of X.
    callbacks : Callback instances (Logger, ProgressBar, EarlyStopping, ...).
    engine : "numpy" (the readable reference) or "numba" (``pip install
        nnscratch[fast]``; see ``nnscratch.compiled``): small networks train whole
        epochs compiled by numba, several times faster; larger ones keep NumPy's
        BLAS products and compile the passes between them (plain SGD's update
        goes into the products). The same results to ~1e-12.

    Training stops early when a callback asks, when the loss becomes NaN or
    infinite (the model keeps the last weights whose loss was finite, and a
    ``DivergenceWarning`` says so, as does ``model.diverged``), or on Ctrl-C
    (the model keeps the weights the interrupted step started from, or in an
    epoch's first step the last ones whose loss was finite: never a
    half-applied update). With plain SGD and mini-batches those weights are
    copied only every few steps and rebuilt by training again on the batches
    since (``nnscratch.checkpoint``). A loss that is not finite at the very
    first step, before any update, is a ValueError about the data's scale.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be an nnscratch Sequential, got {type(model).__name__}")
    if not isinstance(loss, Loss):
        raise TypeError(f"loss must be an nnscratch Loss, got {type(loss).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an nnscratch Optimizer, got {type(optimizer).__name__}")
    epochs = check_positive_int(epochs, "epochs")
    if not isinstance(shuffle, bool):
        raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
    X = check_X(X, n_features=model.n_in, dtype=model.dtype)
    y = loss.check_target(y, model.n_out, model.dtype)
    check_lengths(X, y)
    X, y, validation = _split(X, y, validation_data, validation_split, model, loss)
    n = len(X)
    if batch_size is None or batch_size >= n:
        batch_size = n
    else:
        batch_size = check_positive_int(batch_size, "batch_size")
    rng = check_rng(rng)
    run_epoch = _run_epoch
    if engine == "numba":
        from . import compiled  # imports numba on first use only

        reason = compiled.unsupported_reason(model, loss, optimizer)
        if reason is not None:
            raise ValueError(f"engine='numba' cannot train this model: {reason}")
        if not compiled.available():
            raise ValueError("engine='numba' needs numba: pip install nnscratch[fast]")
        run_epoch = compiled.run_epoch
    elif engine != "numpy":
        raise ValueError(f"engine must be 'numpy' or 'numba', got {engine!r}")
    callbacks = list(callbacks)
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks must be Callback instances, got {cb!r}")
        cb.set_model(model)

    model.loss = loss
    model.stop_training = False
    model.stop_reason = None
    model.diverged = None
    # the last weights whose loss was finite: a copy every step, or for plain SGD (no
    # state) with mini-batches every few steps and the steps since (nnscratch.checkpoint)
    replay = can_replay(model, optimizer, batch_size, n)
    checkpoint = LastGoodWeights(model.flat_params, optimizer, replay=replay)
    truth = loss.labels(y) if loss.is_classifier else None
    buffers: dict = {}  # mini-batches are gathered into these
    history = History()
    logs: dict = {"epochs": epochs}
    for cb in callbacks:
        cb.on_train_begin(logs)
    epoch = -1
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for epoch in range(epochs):
                for cb in callbacks:
                    cb.on_epoch_begin(epoch, logs)
                logs = run_epoch(
                    model,
                    loss,
                    optimizer,
                    X,
                    y,
                    truth,
                    batch_size,
                    shuffle,
                    rng,
                    checkpoint,
                    buffers,
                )
                if validation is not None:
                    val_logs = _evaluate(model, loss, *validation)
                    logs["val_loss"] = val_logs["loss"]
                    if "accuracy" in val_logs:
                        logs["val_accuracy"] = val_logs["accuracy"]
                history.append(epoch, logs)
                for cb in callbacks:
                    cb.on_epoch_end(epoch, logs)
                if model.stop_training:
                    history.stop_reason = model.stop_reason or "stopped by a callback"
                    break
    except _Diverged as exc:
        lost = _restore(checkpoint)
        # the very first step (_Diverged(kind, first_batch)): the data, not the learning rate
        if epoch == 0 and exc.args[1:2] == (True,):
            raise ValueError(
                f"the loss is {exc.args[0]} at the starting weights, before any update, so no "
                f"learning rate can help: the inputs reach {float(np.abs(X).max()):.3g} and "
                f"the targets {float(np.abs(y).max()):.3g} in magnitude; scale them"
            ) from None
        history.diverged = True
        history.stop_reason = (
            f"the loss became {exc.args[0]} at epoch {epoch}; training stopped and the model "
            f"keeps its last weights with a finite loss. Try a smaller learning rate "
            f"(the optimizer used {optimizer.current_lr():g})."
        )
        scale = float(np.abs(X).max())
        if scale > 1e3:  # huge inputs make any learning rate too large: say so
            history.stop_reason += (
                f" The inputs reach {scale:.3g} in magnitude: standardise them as well."
            )
        history.stop_reason += lost
        model.diverged = history.stop_reason
    except KeyboardInterrupt:
        lost = _restore(checkpoint, interrupted=True)
        history.interrupted = True
        history.stop_reason = f"interrupted (Ctrl-C) during epoch {epoch}{lost}"
    for cb in callbacks:
        cb.on_train_end(logs)
    if history.diverged:
        warnings.warn(history.stop_reason, DivergenceWarning, stacklevel=2)
    return history


def _restore(checkpoint: LastGoodWeights, interrupted: bool = False) -> str:
    """Put the last weights whose loss was finite (``interrupted``: the weights the
    interrupted step started from) back; returns what to add to the stop reason
    (nothing, unless a replay did not give its losses again)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        lost = checkpoint.restore(interrupted=interrupted)
    if not lost:
        return ""
    return (
        f" (the weights kept are {lost} steps older than the last good ones: training "
        "again on the batches since did not give the same losses)"
    )


def _gather(source: np.ndarray, idx: np.ndarray, buffers: dict, name: str) -> np.ndarray:
    """source[idx] copied into a buffer kept from batch to batch (no new array per step)."""
    buffer = reused(buffers, name, (len(idx),) + source.shape[1:], source.dtype)
    # mode="clip" (idx is always in range) lets NumPy write straight into ``out``:
    # the default mode="raise" stages the rows in a temporary first, 3x slower
    return source.take(idx, axis=0, out=buffer, mode="clip")


def _run_epoch(
    model, loss, optimizer, X, y, truth, batch_size, shuffle, rng, checkpoint, buffers, step=None
):
    """One pass over the data; returns the epoch's logs.

    ``step`` replaces ``train_step`` (same arguments and result); the compiled
    engine passes its own for large networks. ``checkpoint`` is fit's
    ``LastGoodWeights``.

    ``data_loss`` is reduced over the epoch like the loss reduces a batch (the
    size-weighted mean of batch losses, or their sum); ``penalty`` is the L2
    term of the weights the epoch's last step started from (for full batch:
    the weights that produced ``data_loss``).
    """
    step = train_step if step is None else step
    n = len(X)
    full = batch_size == n
    order = rng.permutation(n) if shuffle and not full else None
    replays = checkpoint.replays
    if replays:
        rerun = partial(_train_again, step, model, loss, optimizer, X, y, buffers)
        checkpoint.new_epoch()
    else:
        keep = checkpoint.every_step()  # one array, a copy at every step
    total_loss = penalty = 0.0
    correct = 0
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        xb, yb, tb = (X, y, truth) if full else _batch(X, y, truth, order, start, stop, buffers)
        if stop == n:
            penalty = model.penalty()
        if replays:
            keep = checkpoint.target(start == 0 or stop == n)
        value, output = step(model, loss, optimizer, xb, yb, checkpoint=keep)
        if not math.isfinite(value):
            raise _Diverged("NaN" if math.isnan(value) else "infinite", start == 0)
        if replays:
            checkpoint.done(keep, (rerun, order, start, stop), value)
        total_loss += value * ((stop - start) / n) if loss.reduction == "mean" else value
        if truth is not None:
            correct += _count_correct(loss, output, tb, buffers)
    logs = {"loss": total_loss + penalty, "data_loss": total_loss, "penalty": penalty}
    if truth is not None:
        logs["accuracy"] = correct / n
    return logs


def _batch(X, y, truth, order, start, stop, buffers):
    """Rows start:stop of X, y and truth (None: none), or of their shuffled ``order``,
    gathered into buffers kept from batch to batch."""
    if order is None:
        return X[start:stop], y[start:stop], None if truth is None else truth[start:stop]
    idx = order[start:stop]
    xb, yb = _gather(X, idx, buffers, "X"), _gather(y, idx, buffers, "y")
    return xb, yb, None if truth is None else _gather(truth, idx, buffers, "truth")


def _train_again(step, model, loss, optimizer, X, y, buffers, order, start, stop) -> float:
    """One more step on a batch already trained on (``LastGoodWeights.restore``): its loss."""
    xb, yb, _ = _batch(X, y, None, order, start, stop, buffers)
    return step(model, loss, optimizer, xb, yb, checkpoint=None)[0]
