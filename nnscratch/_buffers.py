"""Arrays kept from one training step to the next, so that a step allocates nothing."""

from __future__ import annotations

import numpy as np


def reused(buffers: dict, name: str, shape: tuple, dtype, order: str = "C") -> np.ndarray:
    """The array ``buffers`` keeps for ``name`` at this shape, dtype and order (new if none).

    Every call with the same arguments returns the same array, so its content is
    overwritten by the next user. When batch sizes change, arrays for the old
    sizes pile up: past 16 the dict starts over.
    """
    key = (name, shape, dtype, order)
    buffer = buffers.get(key)
    if buffer is None:
        if len(buffers) >= 16:
            buffers.clear()
        buffer = buffers[key] = np.empty(shape, dtype=dtype, order=order)
    return buffer
