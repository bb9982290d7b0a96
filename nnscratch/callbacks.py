"""Callbacks: tiny hook classes; a ``logs`` dict is the only coupling.

Hooks are no-ops by default. ``fit`` calls ``set_model`` first, then
``on_train_begin``, ``on_epoch_begin``, ``on_epoch_end`` (with the epoch's
logs), ``on_train_end``. To stop training a callback calls
``self.stop(reason)``: a flag on the model, not an exception.

Keys in ``logs``: ``loss`` (= ``data_loss`` + ``penalty``), ``data_loss``,
``penalty`` (the L2 term), ``accuracy`` for classifiers, and ``val_loss``
(data loss + penalty on the validation data) and ``val_accuracy`` when there
is validation data.
"""

from __future__ import annotations

import sys

from ._validation import check_number, check_positive_int


class Callback:
    """Base class: every hook does nothing."""

    model = None

    def set_model(self, model) -> None:
        self.model = model

    def stop(self, reason: str) -> None:
        """Ask ``fit`` to stop after this epoch, saying why."""
        self.model.stop_training = True
        self.model.stop_reason = reason

    def on_train_begin(self, logs: dict) -> None: ...

    def on_epoch_begin(self, epoch: int, logs: dict) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict) -> None: ...

    def on_train_end(self, logs: dict) -> None: ...


class EarlyStopping(Callback):
    """Stop when ``monitor`` stops improving, or once it falls below ``threshold``.

    Parameters
    ----------
    monitor : a key of the logs ("loss", "val_loss", "accuracy", ...)
    patience : epochs without an improvement of more than ``min_delta`` before stopping;
        None disables this rule (only ``threshold`` acts).
    mode : "min", "max", or "auto" (max for accuracies, min otherwise)
    threshold : stop as soon as the monitored value is below it ("min") or above it
        ("max"): seed 002's ``if loss < 0.001: break``.
    restore_best_weights : at the end, put back the weights of the best epoch.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        *,
        patience: int | None = 10,
        min_delta: float = 0.0,
        mode: str = "auto",
        threshold: float | None = None,
        restore_best_weights: bool = False,
    ) -> None:
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be the name of a log entry, got {monitor!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor = monitor
        self.patience = None if patience is None else check_positive_int(patience, "patience", 0)
        self.min_delta = check_number(min_delta, "min_delta", low=0.0)
        self.threshold = None if threshold is None else check_number(threshold, "threshold")
        self.restore_best_weights = bool(restore_best_weights)
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        self.mode = mode
        self.best = None
        self.best_epoch = None
        self.stopped_epoch = None
        self._best_state = None
        self._wait = 0

    def _better(self, value: float, than: float) -> bool:
        if self.mode == "min":
            return value < than - self.min_delta
        return value > than + self.min_delta

    def on_train_begin(self, logs):
        self.best, self.best_epoch, self.stopped_epoch = None, None, None
        self._best_state, self._wait = None, 0

    def on_epoch_end(self, epoch, logs):
        if self.monitor not in logs:
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r} but the logs hold "
                f"{sorted(logs)}; pass validation data for 'val_' entries"
            )
        value = logs[self.monitor]
        if self.best is None or self._better(value, self.best):
            self.best, self.best_epoch, self._wait = value, epoch, 0
            if self.restore_best_weights:
                self._best_state = self.model.state_dict()
        else:
            self._wait += 1
        if self.threshold is not None:
            below = value < self.threshold if self.mode == "min" else value > self.threshold
            if below:
                self.stopped_epoch = epoch
                side = "below" if self.mode == "min" else "above"
                self.stop(f"{self.monitor} = {value:.6g} is {side} threshold {self.threshold:g}")
                return
        if self.patience is not None and self._wait > self.patience:
            self.stopped_epoch = epoch
            self.stop(
                f"{self.monitor} did not improve for {self.patience} epochs "
                f"(best {self.best:.6g} at epoch {self.best_epoch})"
            )

    def on_train_end(self, logs):
        if self.restore_best_weights and self._best_state is not None:
            self.model.load_state_dict(self._best_state)


class Logger(Callback):
    """Print the logs every ``every`` epochs (and the last epoch) to ``file``.

    ``epoch 1000  loss 0.0689  data_loss 0.0621  penalty 0.0068  accuracy 0.975``
    """

    def __init__(self, every: int = 1, *, file=None, digits: int = 6) -> None:
        self.every = check_positive_int(every, "every")
        self.file = file
        self.digits = check_positive_int(digits, "digits")
        self._last = None

    def _print(self, epoch, logs):
        parts = [f"epoch {epoch:>6d}"]
        hide = ("data_loss", "penalty") if not logs.get("penalty") else ()
        for key, value in logs.items():
            if key in hide:
                continue
            parts.append(f"{key} {value:.{self.digits}f}")
        print("  ".join(parts), file=self.file or sys.stdout)

    def on_epoch_end(self, epoch, logs):
        self._last = (epoch, logs)
        if epoch % self.every == 0:
            self._print(epoch, logs)

    def on_train_end(self, logs):
        if self._last is not None and self._last[0] % self.every != 0:
            self._print(*self._last)


class ProgressBar(Callback):
    """A tqdm bar over the epochs with the latest loss; silent when not on a terminal."""

    def __init__(self, total: int | None = None, *, disable: bool | None = None, **tqdm_kwargs):
        self.total = total
        self.disable = disable
        self.tqdm_kwargs = tqdm_kwargs
        self.bar = None

    def on_train_begin(self, logs):
        from tqdm.auto import tqdm  # imported here: only runs that show a bar pay for it

        self.bar = tqdm(
            total=self.total or logs.get("epochs"),
            disable=self.disable,
            unit="epoch",
            mininterval=0.2,
            **self.tqdm_kwargs,
        )

    def on_epoch_end(self, epoch, logs):
        self.bar.update(1)
        if self.bar.n % 50 == 1 or self.bar.n == self.bar.total:
            self.bar.set_postfix(loss=f"{logs['loss']:.4g}", refresh=False)

    def on_train_end(self, logs):
        self.bar.close()


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda e, logs: ...)``."""

    def __init__(self, on_epoch_end=None, on_train_begin=None, on_train_end=None) -> None:
        self._epoch_end, self._train_begin, self._train_end = (
            on_epoch_end,
            on_train_begin,
            on_train_end,
        )

    def on_train_begin(self, logs):
        if self._train_begin:
            self._train_begin(logs)

    def on_epoch_end(self, epoch, logs):
        if self._epoch_end:
            self._epoch_end(epoch, logs)

    def on_train_end(self, logs):
        if self._train_end:
            self._train_end(logs)
