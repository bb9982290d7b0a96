"""Where the time of a training step goes: ``fit``'s step taken apart, each part timed in place.

    python benchmarks/breakdown.py --only W4 --dtypes float32   # just these tables
    (``make bench`` runs it for every workload after the ratios)

The calls one step of ``fit`` makes are run in ``fit``'s order, on ``fit``'s
shuffled batches, step after step, with a clock read between them, so every
part finds the caches as the part before left them (a matrix product evicts
what the loss needs next, as inside ``fit``). The parts, summed over layers:

* NumPy engine (``training.train_step`` and ``_run_epoch`` around it): gathering
  the batch; Dense forward (product and bias); activations forward; the loss
  value and gradient; the divergence checkpoint (a copy of the weights, made
  every few steps only with plain SGD and mini-batches: ``nnscratch.checkpoint``,
  so this part is its average over the steps, as in ``fit``); Dense
  backward (products and column sums); activations backward; the optimizer's
  update; counting the correct answers.
* ``engine="numba"`` on large networks (``compiled.LargeStep``): gathering; the
  forward pass (products, each followed by one compiled bias-and-activation
  pass); the loss; the backward pass (products, compiled derivative passes,
  column sums); the checkpoint fused with the update (one compiled pass);
  counting. With plain SGD the update happens inside the backward pass (BLAS's
  gemm writes W - lr·xᵀg where NumPy's matmul writes xᵀg), after a checkpoint
  copy: those two replace the backward and update parts. Small networks train
  whole epochs in one compiled call, which has no parts to time.

``fit`` itself is timed alone (its per-step time, as in the ratio tables),
on its own copy of the model, in the same rounds; "rest" is that time minus
the parts: the epoch loop and History, less the clock reads (~0.1 µs a part),
plus whatever differs between the two runs. It can come out slightly
negative. The bound (``matmul``, the products alone) is timed in the same
rounds, for the products' share.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from benchmarks import measure  # noqa: E402
from benchmarks.contestants import BareMatmul, NnscratchFit, NnscratchNumba  # noqa: E402
from benchmarks.workloads import (  # noqa: E402
    WORKLOADS,
    Workload,
    build_model,
    initial_params,
    load_data,
)

NUMPY_PARTS = (
    "gather the batch",
    "Dense forward (product, bias)",
    "activations forward",
    "loss value and gradient",
    "divergence checkpoint (copy)",
    "Dense backward (products, column sums)",
    "activations backward",
    "optimizer update",
    "count correct answers",
)
LARGE_STEP_PARTS = (
    "gather the batch",
    "forward (products; compiled bias + activation)",
    "loss value and gradient",
    "backward (products; compiled derivative; column sums)",
    "checkpoint + update (one compiled pass)",
    "count correct answers",
)
# plain SGD: the update happens inside the weight-gradient products (LargeStep.fuses_sgd)
FUSED_SGD_PARTS = (
    "gather the batch",
    "forward (products; compiled bias + activation)",
    "loss value and gradient",
    "checkpoint (copy)",
    "backward + SGD update (products; compiled derivative; column sums)",
    "count correct answers",
)
LARGE_STEP_ORDER = LARGE_STEP_PARTS[:3] + FUSED_SGD_PARTS[3:5] + LARGE_STEP_PARTS[3:]
REST = "rest: fit's step minus the parts above"


class Clock:
    """``tick(part)`` adds the time since the previous tick to ``part``."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.last = time.perf_counter()

    def tick(self, part: str) -> None:
        now = time.perf_counter()
        self.totals[part] = self.totals.get(part, 0.0) + (now - self.last)
        self.last = now


def _numpy_step(tick, model, loss, optimizer, xb, yb, checkpoint) -> np.ndarray:
    """``training.train_step``, one timed call at a time (returns the output)."""
    from nnscratch.layers import Dense

    a = xb
    for layer in model.layers:
        a = layer.forward(a, training=True)
        tick("Dense forward (product, bias)" if isinstance(layer, Dense) else "activations forward")
    loss.compute(a, yb)
    tick("loss value and gradient")
    if checkpoint is not None:  # (every few steps with plain SGD's replay)
        np.copyto(checkpoint, model.flat_params)
    tick("divergence checkpoint (copy)")
    grad = loss.backward()
    for layer in reversed(model.layers[1:]):
        grad = layer.backward(grad)
        dense = isinstance(layer, Dense)
        tick("Dense backward (products, column sums)" if dense else "activations backward")
    model.layers[0].param_backward(grad)  # the workloads start with Dense: no dL/dX
    tick("Dense backward (products, column sums)")
    optimizer.step([model.flat_params], [model.flat_grads])
    tick("optimizer update")
    return a


def _large_step(tick, step, model, loss, optimizer, xb, yb, checkpoint) -> np.ndarray:
    """``compiled.LargeStep.__call__``, one timed call at a time (returns the output)."""
    from nnscratch.compiled import _optimizer_arguments

    output = step.forward(xb)
    tick(LARGE_STEP_PARTS[1])
    loss.compute(output, yb)
    tick(LARGE_STEP_PARTS[2])
    arguments = _optimizer_arguments(model, optimizer, step.memo)
    if step.fuses_sgd(arguments, xb):
        if checkpoint is not None:  # (every few steps with plain SGD's replay)
            np.copyto(checkpoint, step.flat)
        tick(FUSED_SGD_PARTS[3])
        step.backward(xb, loss.backward(), sgd_lr=optimizer.current_lr())
        optimizer.t += 1
        tick(FUSED_SGD_PARTS[4])
        return output
    step.backward(xb, loss.backward())
    tick(LARGE_STEP_PARTS[3])
    step.update(optimizer, step.copy_target(checkpoint), arguments, optimizer.current_lr())
    tick(LARGE_STEP_PARTS[4])
    return output


class StepParts:
    """A model trained by ``fit``'s calls taken apart: ``epochs(k)`` returns seconds per part."""

    def __init__(self, contestant, engine: str) -> None:
        from nnscratch import compiled
        from nnscratch.checkpoint import LastGoodWeights, can_replay

        self.model, self.loss = contestant.model, contestant.loss
        self.optimizer = contestant.optimizer
        self.X = contestant.X
        self.y = self.loss.check_target(contestant.y, self.model.n_out, self.model.dtype)
        self.truth = self.loss.labels(self.y)
        self.buffers: dict = {}
        self.batch = contestant.workload.batch_size or len(self.X)
        replay = can_replay(self.model, self.optimizer, self.batch, len(self.X))
        self.checkpoint = LastGoodWeights(self.model.flat_params, self.optimizer, replay=replay)
        self.step = None
        if engine == "numba":
            self.step = compiled.LargeStep(self.model, compiled._large_plan(self.model))
        self.rng = np.random.RandomState(0)

    def epochs(self, k: int) -> dict[str, float]:
        from nnscratch.training import _count_correct, _gather

        model, loss, optimizer, X, y = self.model, self.loss, self.optimizer, self.X, self.y
        n, clock, kept = len(X), Clock(), self.checkpoint
        for _ in range(k):
            order = self.rng.permutation(n) if self.batch < n else None
            if kept.replays:
                kept.new_epoch()
            for start in range(0, n, self.batch):
                clock.tick("not timed")
                last = start + self.batch >= n
                checkpoint = kept.target(start == 0 or last) if kept.replays else kept.every_step()
                if order is None:
                    xb, yb, tb = X, y, self.truth
                else:
                    idx = order[start : start + self.batch]
                    xb = _gather(X, idx, self.buffers, "X")
                    yb, tb = _gather(y, idx, self.buffers, "y"), self.truth[idx]
                    clock.tick("gather the batch")
                if self.step is None:
                    output = _numpy_step(clock.tick, model, loss, optimizer, xb, yb, checkpoint)
                else:
                    output = _large_step(
                        clock.tick, self.step, model, loss, optimizer, xb, yb, checkpoint
                    )
                if kept.replays:  # (the breakdown never restores: no batch, no loss to note)
                    kept.done(checkpoint, (None,), 0.0)
                _count_correct(loss, output, tb, self.buffers)
                clock.tick("count correct answers")
        clock.totals.pop("not timed", None)
        return clock.totals


def breakdown(workload, dtype=np.float64, engine: str = "numpy", *, smoke=False, rounds=7):
    """Per-step seconds of every part (median over rounds), of fit, and of the bound.

    Each round times ``fit`` (as the ratio tables do), the parts over the same
    number of epochs, and the bound (``matmul``), one after the other.
    """
    w = WORKLOADS[workload] if isinstance(workload, str) else workload
    n = w.smoke_samples() if smoke else w.n_samples
    X, y = load_data(w, dtype, n_samples=n)
    params = initial_params(w, dtype)
    if engine == "numba":
        fit_run = NnscratchNumba(w, X, y, params, warm=not smoke)
    else:
        fit_run = NnscratchFit(w, X, y, params)
    parts = StepParts(NnscratchFit(w, X, y, params), engine)  # its own model, trained apart
    bound = BareMatmul(w, X, y, params)
    steps = w.steps_per_epoch(n)
    if smoke:
        epochs, rounds = 1, 1
    elif w.heavy:
        epochs = 1
    else:
        epochs = max(1, round(0.05 / measure.seconds_per_epoch(fit_run)))
    samples: dict[str, list[float]] = {"fit": [], "matmul": []}
    parts.epochs(1)  # warm-up (and JIT, for numba)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(rounds):
            t0 = time.perf_counter()
            fit_run.run(epochs)
            samples["fit"].append((time.perf_counter() - t0) / (epochs * steps))
            for part, seconds in parts.epochs(epochs).items():
                samples.setdefault(part, []).append(seconds / (epochs * steps))
            t0 = time.perf_counter()
            bound.run(epochs)
            samples["matmul"].append((time.perf_counter() - t0) / (epochs * steps))
    names = [part for part in samples if part not in ("fit", "matmul")]  # in a step's order
    per_step = {part: float(np.median(samples[part])) for part in names}
    fit_s = float(np.median(samples["fit"]))
    per_step[REST] = fit_s - sum(per_step.values())
    return {
        "workload": w.key,
        "dtype": np.dtype(dtype).name,
        "engine": engine,
        "fit_s": fit_s,
        "matmul_s": float(np.median(samples["matmul"])),
        "parts_s": per_step,
        "rounds": rounds,
    }


def large_step_runs(w: Workload) -> bool:
    """Whether ``fit(engine="numba")`` trains this workload with ``LargeStep`` (which has parts)."""
    from nnscratch import compiled

    return compiled.takes_large_step(build_model(w, np.float64), w.batch_size or w.n_samples)


def run_all(keys=None, dtypes=(np.float64,), *, smoke=False, numba=True, log=print) -> list[dict]:
    """``breakdown`` of the NumPy engine on every workload (keys or ``Workload``s; default
    all), and of ``engine="numba"`` where it runs ``LargeStep``."""
    from nnscratch import compiled

    workloads = [WORKLOADS[k] if isinstance(k, str) else k for k in (keys or WORKLOADS)]
    rows = []
    for dtype in dtypes:
        for engine in ("numpy", "numba"):
            for w in workloads:
                if engine == "numba" and not (
                    numba and compiled.available() and large_step_runs(w)
                ):
                    continue
                t0 = time.perf_counter()
                rows.append(breakdown(w, dtype, engine, smoke=smoke))
                log(f"breakdown {w.key} {np.dtype(dtype).name} engine={engine}: "
                    f"{time.perf_counter() - t0:.0f} s")  # fmt: skip
    return rows


def _cell(seconds: float, total: float) -> str:
    value = seconds * 1e6
    text = f"{value:.0f} µs" if abs(value) >= 100 else f"{value:.1f} µs"
    if abs(value) >= 10_000:
        text = f"{value / 1000:.1f} ms"
    elif abs(value) >= 1000:
        text = f"{value / 1000:.2f} ms"
    return f"{text} ({100 * seconds / total:.0f} %)"


def render(rows: list[dict], markdown: bool = False) -> str:
    """One table per (engine, dtype): parts down, workloads across."""
    out = []
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["engine"], row["dtype"]), []).append(row)
    for (engine, dtype), group in groups.items():
        order = NUMPY_PARTS if engine == "numpy" else LARGE_STEP_ORDER
        names = [name for name in order if any(name in r["parts_s"] for r in group)] + [REST]
        title = "engine=numba (compiled.LargeStep)" if engine == "numba" else "engine=numpy"
        header = ["part of a step", *[r["workload"] for r in group]]
        lines = [[name] + [_cell(r["parts_s"][name], r["fit_s"]) if name in r["parts_s"] else "–"
                           for r in group] for name in names]  # fmt: skip
        lines.append(["**fit, per step**" if markdown else "fit, per step"]
                     + [_cell(r["fit_s"], r["fit_s"]) for r in group])  # fmt: skip
        lines.append(["matrix products alone (the bound)"]
                     + [_cell(r["matmul_s"], r["fit_s"]) for r in group])  # fmt: skip
        out.append(f"{'#### ' if markdown else ''}Per step, {title}, {dtype}")
        out.append("")
        if markdown:
            out.append("| " + " | ".join(header) + " |")
            out.append("|" + "---|" * len(header))
            out += ["| " + " | ".join(line) + " |" for line in lines]
        else:
            widths = [max(len(str(x[i])) for x in [header, *lines]) for i in range(len(header))]
            for line in [header, *lines]:
                out.append("  ".join(str(x).ljust(wd) for x, wd in zip(line, widths)))
        out.append("")
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="workloads, e.g. W1,W4 (default: all)")
    parser.add_argument("--dtypes", default="float64,float32")
    parser.add_argument("--no-numba", action="store_true", help="skip engine='numba'")
    parser.add_argument("--smoke", action="store_true", help="one round of a few steps")
    parser.add_argument("--markdown", action="store_true", help="Markdown tables")
    args = parser.parse_args(argv)
    keys = args.only.split(",") if args.only else None
    for key in keys or []:
        if key not in WORKLOADS:
            parser.error(f"unknown workload {key}; expected {', '.join(WORKLOADS)}")
    rows = run_all(
        keys,
        [np.dtype(d).type for d in args.dtypes.split(",")],
        smoke=args.smoke,
        numba=not args.no_numba,
        log=lambda msg: print(msg, file=sys.stderr, flush=True),
    )
    print(render(rows, markdown=args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
