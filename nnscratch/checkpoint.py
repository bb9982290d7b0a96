"""The last weights whose loss was finite: what ``fit`` puts back after a divergence or Ctrl-C.

The plain way keeps a copy: each step whose loss is finite copies the weights
before it updates them (``train_step(..., checkpoint=array)``). On a large
network that copy is a pass over all the weights at memory speed: on W4
(784->512->512->10, 670k weights, batch 256) it took 5-7 % of a compiled
``fit`` step (one-off measurement, 2026-12-03).

Plain SGD's step is a function of the weights, the batch and the step counter
alone: it keeps no state. With plain SGD and mini-batches, ``LastGoodWeights``
therefore copies the weights only at *anchor* steps (the first and the last
step of every epoch, and then every ``EVERY`` steps or ``SECONDS``), and in
between notes the batch each step trained on. To restore, it copies the
anchor back and trains again on the noted batches, with the optimizer's step
counter set back: the same weights, the batches gathered into the same
buffers, the same code and BLAS calls, so the same bits. Each step trained
again must give the very loss it gave the first time; if one does not (say,
a layer of the user's that draws random numbers), the anchor itself is kept,
weights with a finite loss from a few steps earlier (at most ``EVERY``), and
``restore`` says how many steps were lost.

The anchors at epoch boundaries keep a replay inside one epoch: callbacks
run between epochs and may change the weights or the learning rate.

Each anchor step copies into a spare array, which becomes the anchor only
once the step has finished. A Ctrl-C at any moment then finds a consistent
pair (anchor, batches since), never an anchor newer than its notes.
"""

from __future__ import annotations

import time

import numpy as np

from .layers import Dropout
from .optimizers import SGD

EVERY = 16  # a replay trains again on at most EVERY batches
SECONDS = 0.1  # ... and for about this long at most (Ctrl-C waits for it)


def can_replay(model, optimizer, batch_size: int, n_samples: int) -> bool:
    """Whether ``fit``'s steps can be trained again from a copy: plain SGD (its step keeps
    no state), several batches an epoch, and no Dropout (it draws new masks)."""
    return (
        batch_size < n_samples
        and type(optimizer) is SGD
        and not optimizer.momentum
        and not any(isinstance(layer, Dropout) for layer in model.layers)
    )


class LastGoodWeights:
    """The weights that last gave a finite loss, kept as a copy plus the steps since.

    ``params`` is the flat weight array (``model.flat_params``) and
    ``optimizer`` the one training it. Without ``replay`` every step copies
    (``target`` always returns the one anchor array). With ``replay`` (for
    plain SGD only: see the module docstring) the training loop calls
    ``checkpoint.new_epoch()`` at the start of every epoch and, per step::

        keep = checkpoint.target(first_or_last)    # an array to copy into, or None
        value, output = step(..., checkpoint=keep)  # copies there if its loss is finite
        checkpoint.done(keep, (rerun, *batch), value)  # once the step has finished

    where ``rerun(*batch)`` trains once more on that batch (with
    ``checkpoint=None``) and returns the loss.
    """

    def __init__(self, params: np.ndarray, optimizer, *, replay: bool) -> None:
        self.params, self.optimizer = params, optimizer
        # (weights, optimizer.t when they were current, batches trained on since, with their
        # losses, up to the last weights whose loss was finite): replaced whole, never edited
        # apart from appending a batch
        self.anchor = (params.copy(), optimizer.t, [])
        self.replays = replay
        self.spare = np.empty_like(params) if replay else None  # the next anchor copies here
        self.last = None  # the step that just finished: its batch and loss
        self.next_t = optimizer.t
        self.since = time.perf_counter()

    def target(self, first_or_last: bool) -> np.ndarray | None:
        """Where the next step copies the weights once its loss is finite; None: it does not."""
        weights, _, batches = self.anchor
        if not self.replays:
            return weights
        if first_or_last or len(batches) >= EVERY - 1 or time.perf_counter() - self.since > SECONDS:
            self.next_t = self.optimizer.t
            return self.spare
        return None

    def done(self, keep: np.ndarray | None, batch: tuple, value: float) -> None:
        """A step given ``keep`` (from ``target``) finished with the finite loss ``value``."""
        if keep is None:  # its loss was finite: the last step's weights were good
            self.anchor[2].append(self.last)
        elif keep is self.spare:  # it copied its weights: they are the anchor now
            self.anchor, self.spare = (keep, self.next_t, []), self.anchor[0]
            self.since = time.perf_counter()
        self.last = (batch, value)

    def every_step(self) -> np.ndarray:
        """The anchor, for a caller that copies the weights into it before every update
        itself (the compiled epoch kernel): there is nothing to replay."""
        weights, _, batches = self.anchor
        if batches:
            raise RuntimeError("steps were noted for a replay; the anchor is not current")
        return weights

    def new_epoch(self) -> None:
        """An epoch begins: callbacks ran since the last step, which cannot be replayed."""
        self.last = None

    def restore(self, *, interrupted: bool = False) -> int:
        """Put the last weights whose loss was finite back into ``params``.

        ``interrupted`` (Ctrl-C): the weights the interrupted step started from,
        that is, after the last step that finished (or, in an epoch's first step,
        before it: callbacks ran since). Returns 0, or the number of steps lost
        when a step trained again did not give its loss again (the anchor, older
        but good, is kept then). A Ctrl-C during the replay keeps the anchor as
        well. ``optimizer.t`` is left as it was.
        """
        weights, t, batches = self.anchor
        if interrupted and self.last is not None:
            batches = batches + [self.last]
        np.copyto(self.params, weights)
        t_now, self.optimizer.t = self.optimizer.t, t
        try:
            for (rerun, *batch), value in batches:
                if rerun(*batch) != value:
                    np.copyto(self.params, weights)
                    return len(batches)
        except KeyboardInterrupt:
            np.copyto(self.params, weights)
            return len(batches)
        finally:
            self.optimizer.t = t_now
        return 0
