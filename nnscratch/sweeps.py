"""Sweeps: many training runs over a grid or a random search, in parallel, on one machine
or on a Dask cluster, collected into one table.

>>> from nnscratch.sweeps import sweep
>>> result = sweep({"hidden_sizes": [1, 2, 3, 4, 5, 20, 50], "lr": [0.01, 0.1]},
...                data="moons", epochs=500, n_jobs=-1)
>>> result.to_csv("sweep.csv"); result.to_json("sweep.json")
>>> save_figure(result.plot(x="hidden_sizes", hue="lr").figure, "sweep.png")

Settings (the keys of ``space``; those not in it take ``fixed`` or ``DEFAULTS``):

* ``hidden_sizes``: an int or a tuple of ints (one hidden layer per entry);
* ``lr``, ``l2``, ``dropout``: numbers; ``activation``: tanh, sigmoid, relu,
  leaky_relu, identity; ``optimizer``: sgd, momentum (SGD with 0.9), nesterov,
  adam, rmsprop, adagrad;
* ``epochs``, ``batch_size`` (None: full batch);
* ``seed``: the run's seed (see below).

``search="grid"`` runs every combination (the first key varies slowest);
``search="random"`` draws ``n_iter`` settings: a list is sampled uniformly,
``LogUniform(low, high)`` / ``Uniform(low, high)`` (or any object with
scipy's ``rvs(random_state=...)``) continuously. Draws come from the sweep's
``seed`` in the calling process, so the list of runs never depends on where
they run.

Seeds and reproducibility. Each run has its own seed: the ``seed`` setting
when the space or ``fixed`` gives one (repeat a configuration with
``"seed": [0, 1, 2]``), otherwise one derived from (sweep seed, run index)
by ``numpy.random.SeedSequence(seed, spawn_key=(index,))``. The run builds
its network with ``build_mlp(..., rng=run_seed)`` and trains with
``fit(..., rng=run_seed)``, so any row of the table is re-run by hand with
``train_run(row, ...)``. The data set and its train/validation split are drawn
once from the sweep seed and shared by every run. BLAS is held to one thread
inside every run (threadpoolctl), so summation order, and therefore every
number in the table but ``fit_time``, is identical whatever the backend:
in-process, joblib processes, or Dask workers.

Backends. ``n_jobs=1`` runs in this process; other ``n_jobs`` (default -1:
one process per core) run on joblib's process pool (loky). Naming a Dask
scheduler (``scheduler="tcp://host:8786"``, or a ``distributed.Client``)
sends each run to the cluster as its own future (``retries=0``), so the code
is the same on a laptop and on many machines. One run failing never loses the
others: an exception inside a run, a worker process that dies (the scheduler
reports ``KilledWorker`` once its ``allowed-failures`` are spent) or a local
process pool that breaks each mark only the runs concerned ``status="failed"``
with the reason in ``error``, and the sweep returns every other result.

Needs ``joblib`` for ``n_jobs != 1`` (installed with scikit-learn) and
``dask[distributed]`` for a scheduler: ``pip install 'nnscratch[dask]'``.
They are imported inside the functions, never at ``import nnscratch``.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import numbers
import os
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._files import write_text
from .datasets import GENERATED as DATASETS  # name -> the function that draws it

__all__ = [
    "sweep",
    "SweepResult",
    "LogUniform",
    "Uniform",
    "train_run",
    "DEFAULTS",
    "DATASETS",
    "OPTIMIZERS",
]

DEFAULTS: dict = {
    "hidden_sizes": (8,),
    "lr": 0.01,
    "l2": 0.0,
    "activation": "tanh",
    "optimizer": "adam",
    "dropout": 0.0,
    "epochs": 200,
    "batch_size": None,
    "seed": None,
}

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad")


# ---------------------------------------------------------------- distributions
@dataclass(frozen=True)
class Uniform:
    """A number drawn uniformly in [low, high) (random search only)."""

    low: float
    high: float

    def __post_init__(self):
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"Uniform needs finite low < high, got {self.low}, {self.high}")

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))


@dataclass(frozen=True)
class LogUniform:
    """A positive number whose logarithm is uniform in [log low, log high) (e.g. lr, l2)."""

    low: float
    high: float

    def __post_init__(self):
        if not (0 < self.low < self.high and math.isfinite(self.high)):
            raise ValueError(f"LogUniform needs 0 < low < high, got {self.low}, {self.high}")

    def sample(self, rng: np.random.Generator) -> float:
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))


def _is_distribution(value) -> bool:
    return hasattr(value, "sample") or hasattr(value, "rvs")


def _draw(value, rng: np.random.Generator):
    if hasattr(value, "sample"):
        return value.sample(rng)
    drawn = value.rvs(random_state=rng)
    return drawn.item() if isinstance(drawn, np.generic) else drawn


# ---------------------------------------------------------------- settings
def _hidden(value) -> tuple[int, ...]:
    """hidden_sizes as a tuple of positive ints: 8, (8, 8), [8, 8], "8x8", "8"."""
    if isinstance(value, str):
        parts = value.lower().replace("-", "x").split("x")
        try:
            value = tuple(int(p) for p in parts)
        except ValueError:
            raise ValueError(f"hidden_sizes {value!r} is not like 8 or 16x8") from None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (int(value),)
    if (
        not isinstance(value, (tuple, list))
        or not value
        or any(isinstance(h, bool) or not isinstance(h, numbers.Integral) or h < 1 for h in value)
    ):
        raise ValueError(f"hidden_sizes must be positive ints such as 8 or (16, 8), got {value!r}")
    return tuple(int(h) for h in value)


def _check_setting(name: str, value):
    """Normalise one setting value, or raise a ValueError naming it."""
    from .layers import ACTIVATIONS

    if name == "hidden_sizes":
        return _hidden(value)
    if name == "activation" and value not in ACTIVATIONS:
        raise ValueError(f"activation {value!r} is not one of {', '.join(ACTIVATIONS)}")
    if name == "optimizer" and value not in OPTIMIZERS:
        raise ValueError(f"optimizer {value!r} is not one of {', '.join(OPTIMIZERS)}")
    if name in ("epochs", "batch_size", "seed"):
        if value is None and name != "epochs":
            return None
        low = 0 if name == "seed" else 1
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        return int(value)
    if name in ("lr", "l2", "dropout"):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"{name} must be a number, got {value!r}")
        return float(value)
    return value


def _expand(space: Mapping, search: str, n_iter, seed: int) -> list[dict]:
    """The list of varied settings, one dict per run, in run order."""
    if not isinstance(space, Mapping) or not space:
        raise ValueError("space must be a non-empty dict of setting -> values")
    unknown = sorted(set(space) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown}; a sweep varies {', '.join(DEFAULTS)}")
    choices = {}
    for name, values in space.items():
        if _is_distribution(values):
            if search == "grid":
                raise ValueError(
                    f"{name} is a distribution: use search='random', or give a list for a grid"
                )
            choices[name] = values
            continue
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            values = [values]
        values = [_check_setting(name, v) for v in values]
        if not values:
            raise ValueError(f"setting {name} has no values")
        choices[name] = values
    if search == "grid":
        if n_iter is not None:
            raise ValueError("n_iter is for search='random'; a grid runs every combination")
        names = list(choices)
        return [dict(zip(names, combo)) for combo in itertools.product(*choices.values())]
    if search == "random":
        if isinstance(n_iter, bool) or not isinstance(n_iter, numbers.Integral) or n_iter < 1:
            raise ValueError(f"search='random' needs n_iter, a positive integer, got {n_iter!r}")
        rng = np.random.default_rng(seed)
        runs = []
        for _ in range(int(n_iter)):
            run = {}
            for name, values in choices.items():
                if isinstance(values, list):
                    run[name] = values[int(rng.integers(len(values)))]
                else:
                    run[name] = _check_setting(name, _draw(values, rng))
            runs.append(run)
        return runs
    raise ValueError(f"search must be 'grid' or 'random', got {search!r}")


def run_seed(seed: int, index: int) -> int:
    """The seed of run ``index`` in a sweep with ``seed`` (when no seed setting is given)."""
    return int(np.random.SeedSequence(seed, spawn_key=(index,)).generate_state(1)[0])


# ---------------------------------------------------------------- data
def _load_data(data, seed: int, n_samples, noise, validation_split: float):
    """(X_train, y_train, X_val, y_val, kind, description) from a name or (X, y)."""
    from . import datasets

    if isinstance(data, str):
        if data not in DATASETS:
            raise ValueError(f"unknown data set {data!r}; expected one of {', '.join(DATASETS)}")
        make = getattr(datasets, DATASETS[data])
        kwargs = {"random_state": seed}
        if noise is not None:
            kwargs["noise"] = noise
        X, y = make(n_samples, **kwargs) if n_samples is not None else make(**kwargs)
        description = data
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        X, y = np.asarray(data[0]), np.asarray(data[1])
        description = f"arrays X {X.shape}"
    else:
        raise TypeError("data must be a data set name (moons, circles, ...) or a pair (X, y)")
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError(f"X must be 2-D with one row per target, got X {X.shape}, y {y.shape}")
    kind = "classification" if y.dtype.kind in "iub" else "regression"
    if validation_split:
        X_train, X_val, y_train, y_val = datasets.train_test_split(
            X, y, test_size=validation_split, random_state=seed
        )
    else:
        X_train, y_train, X_val, y_val = X, y, None, None
    return X_train, y_train, X_val, y_val, kind, description


# ---------------------------------------------------------------- one run
def _optimizer(name: str, lr: float):
    from . import optimizers

    return optimizers.get(name, lr=lr)  # momentum, nesterov: SGD with momentum 0.9


def train_run(settings: Mapping, X, y, X_val=None, y_val=None, *, kind: str = "classification"):
    """Train one network with ``settings`` (``DEFAULTS`` filled in); returns (model, history, metrics).

    This is exactly what a sweep does for each row (``settings["seed"]`` must
    be set: the row's ``seed`` column), so a row is re-run by hand with
    ``train_run(row, X_train, y_train, X_val, y_val)``.
    """
    import nnscratch as nn

    s = {**DEFAULTS, **{k: v for k, v in settings.items() if k in DEFAULTS}}
    seed = s["seed"]
    X = np.asarray(X, dtype=np.float64)
    if kind == "classification":
        loss = nn.SoftmaxCrossEntropy()
        n_out = int(np.max(y)) + 1
        if y_val is not None:
            n_out = max(n_out, int(np.max(y_val)) + 1)
    else:
        loss = nn.MSE()
        n_out = 1 if np.ndim(y) == 1 else np.shape(y)[1]
    model = nn.build_mlp(
        X.shape[1],
        _hidden(s["hidden_sizes"]),
        n_out,
        activation=s["activation"],
        l2=s["l2"],
        dropout=s["dropout"],
        rng=seed,
    )
    validation = None if X_val is None else (X_val, y_val)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.DivergenceWarning)
        history = nn.fit(
            model,
            loss,
            _optimizer(s["optimizer"], s["lr"]),
            X,
            y,
            epochs=s["epochs"],
            batch_size=s["batch_size"],
            rng=seed,
            validation_data=validation,
        )
    metrics = {"epochs_run": len(history)}
    with np.errstate(all="ignore"):
        for prefix, (A, b) in (("", (X, y)), ("val_", validation)):
            if A is None:
                continue
            logs = nn.evaluate(model, loss, A, b)
            metrics[f"{prefix}loss"] = float(logs["loss"])
            if kind == "classification":
                metrics[f"{prefix}accuracy"] = float(logs["accuracy"])
            else:
                prediction = model.predict(np.asarray(A, dtype=np.float64))
                metrics[f"{prefix}r2"] = float(nn.r2_score(b, prediction))
    return model, history, metrics


def _run_task(task: dict) -> dict:
    """Worker entry point: one run, its exceptions caught; returns a plain picklable dict."""
    if task.get("crash"):  # test hook (never set by users): the worker dies mid-run
        time.sleep(0.5)  # "mid-run": the worker has reported the runs it finished before
        os._exit(70)
    start = time.perf_counter()
    out = {"index": task["index"], "status": "ok", "error": "", "history": {}}
    try:
        from threadpoolctl import threadpool_limits

        # Fresh, aligned copies: arrays unpickled from a message may be unaligned views of
        # it, and NumPy then skips BLAS for them, which changes the last bits of the sums.
        data = [None if a is None else np.array(a, order="C", copy=True) for a in task["data"]]
        with threadpool_limits(limits=1):
            _, history, metrics = train_run(task["settings"], *data, kind=task["kind"])
        out.update(metrics)
        out["history"] = {k: [float(v) for v in vals] for k, vals in history.history.items()}
        if history.diverged:
            out["status"] = "diverged"
            out["error"] = history.stop_reason or "the loss became NaN or infinite"
    except Exception as exc:  # one bad run must not end the sweep
        out["status"] = "failed"
        out["error"] = f"{type(exc).__name__}: {exc}"
    out["fit_time"] = time.perf_counter() - start
    return out


def _failed(index: int, reason: str) -> dict:
    return {
        "index": index,
        "status": "failed",
        "error": reason,
        "history": {},
        "fit_time": math.nan,
    }


# ---------------------------------------------------------------- backends
def _run_in_process(tasks, report):
    for task in tasks:
        report(_run_task(task))


def _run_joblib(tasks, n_jobs, report):
    """joblib's process pool; a pool broken by a dying worker is isolated run by run."""
    from joblib import Parallel, delayed

    pending = {task["index"]: task for task in tasks}
    try:
        results = Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered")(
            delayed(_run_task)(task) for task in tasks
        )
        for out in results:
            pending.pop(out["index"], None)
            report(out)
    except Exception as exc:
        if not _is_broken_pool(exc):
            raise
        # A worker died and took the pool's in-flight runs with it; we cannot tell which
        # run killed it, so run the rest one per pool call: only the culprit fails.
        for index, task in sorted(pending.items()):
            try:
                (out,) = Parallel(n_jobs=2, backend="loky")(delayed(_run_task)(t) for t in [task])
            except Exception as inner:
                if not _is_broken_pool(inner):
                    raise
                out = _failed(index, f"the worker process died ({type(inner).__name__}: {inner})")
            report(out)


def _is_broken_pool(exc: BaseException) -> bool:
    from concurrent.futures.process import BrokenProcessPool

    from joblib.externals.loky.process_executor import TerminatedWorkerError

    return isinstance(exc, (TerminatedWorkerError, BrokenProcessPool))


def _run_dask(tasks, scheduler, report, token: str):
    """One future per run on a Dask cluster; failures are reported per run."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ImportError(
            "a sweep on a Dask scheduler needs the optional package 'distributed': "
            "pip install 'nnscratch[dask]'"
        ) from None

    own = not isinstance(scheduler, Client)
    client = Client(scheduler, set_as_default=False) if own else scheduler
    futures = {}
    try:
        for task in tasks:
            future = client.submit(
                _run_task,
                task,
                key=f"nnscratch-sweep-{token}-{task['index']}",
                pure=False,
                retries=0,
            )
            futures[future] = task["index"]
        for future in as_completed(list(futures), loop=client.loop):
            index = futures[future]
            try:
                out = future.result()
            except Exception as exc:  # KilledWorker, lost connection, cancelled ...
                out = _failed(index, f"{type(exc).__name__}: {exc}")
            report(out)
            future.release()
    finally:
        unfinished = [f for f in futures if not f.done()]
        if unfinished:
            client.cancel(unfinished)
        if own:
            client.close()


# ---------------------------------------------------------------- the sweep
@dataclass
class SweepResult:
    """What ``sweep`` returns: one row per run, in run order.

    ``table`` rows hold ``index``, every setting (``hidden_sizes`` as a list),
    ``seed``, ``status`` ("ok", "diverged" or "failed"), ``error``,
    ``epochs_run``, the final ``loss`` and ``accuracy`` (``r2`` for
    regression) on the training data and ``val_loss`` / ``val_accuracy``
    (``val_r2``) on the held-out data, and ``fit_time`` in seconds.
    ``histories[i]`` is run i's per-epoch history (``History.history``).
    ``varied`` names the settings the sweep varied.
    """

    table: list[dict]
    histories: list[dict]
    varied: list[str]
    info: dict = field(default_factory=dict)

    @property
    def failed(self) -> list[dict]:
        return [row for row in self.table if row["status"] == "failed"]

    @property
    def ok(self) -> list[dict]:
        return [row for row in self.table if row["status"] != "failed"]

    def best(self, metric: str | None = None, *, maximize: bool | None = None) -> dict:
        """The row with the best ``metric`` (default: validation accuracy, else loss)."""
        metric = metric or self.default_metric()
        if maximize is None:
            maximize = not metric.endswith("loss")
        rows = [r for r in self.ok if isinstance(r.get(metric), float) and math.isfinite(r[metric])]
        if not rows:
            raise ValueError(f"no finished run has a finite {metric!r}")
        return (max if maximize else min)(rows, key=lambda r: r[metric])

    def default_metric(self) -> str:
        columns = set().union(*(row.keys() for row in self.table)) if self.table else set()
        for name in ("val_accuracy", "val_r2", "accuracy", "r2", "val_loss", "loss"):
            if name in columns:
                return name
        return "loss"

    def columns(self) -> list[str]:
        names: list[str] = []
        for row in self.table:
            names.extend(k for k in row if k not in names)
        return names

    # -- files
    def to_csv(self, path) -> Path:
        """The table as CSV (hidden sizes written like 16x8), written atomically."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self.columns(), lineterminator="\n")
        writer.writeheader()
        for row in self.table:
            writer.writerow({k: _csv_value(k, v) for k, v in row.items()})
        return write_text(path, buffer.getvalue(), make_folder=True)

    def to_json(self, path) -> Path:
        """Table, histories and the sweep's description as JSON (NaN as null), atomically."""
        document = {
            "format": "nnscratch-sweep",
            "info": self.info,
            "varied": self.varied,
            "runs": [{**row, "history": hist} for row, hist in zip(self.table, self.histories)],
        }
        text = json.dumps(_json_safe(document), indent=1, allow_nan=False)
        return write_text(path, text + "\n", make_folder=True)

    # -- pictures
    def plot(self, x: str | None = None, y: str | None = None, *, hue: str | None = None, ax=None):
        """``y`` (default: validation accuracy) against setting ``x``, one line per ``hue``.

        Every run is a dot; the line joins the mean over runs that share ``x``
        and ``hue`` (e.g. repeated seeds). Numeric settings get a numeric axis
        (logarithmic when they span more than a factor of 20), others one
        tick per value. Failed runs are left out and counted in the title.
        Returns the Axes (``matplotlib.figure.Figure`` API, no pyplot).
        """
        from .plotting import CLASS_COLORS, new_axes

        x = x or (self.varied[0] if self.varied else "hidden_sizes")
        y = y or self.default_metric()
        if hue is None:
            others = [v for v in self.varied if v not in (x, "seed")]
            hue = others[0] if others else None
        rows = [r for r in self.ok if isinstance(r.get(y), float) and math.isfinite(r[y])]
        ax = ax if ax is not None else new_axes((6.4, 4.4))
        xs = [_plot_key(r.get(x)) for r in rows]
        numeric = all(isinstance(v, (int, float)) for v in xs) and bool(xs)
        if numeric:
            positions = {v: float(v) for v in xs}
        else:
            positions = {v: float(i) for i, v in enumerate(sorted(set(xs), key=_sort_key))}
        groups: dict = {}
        for row, key in zip(rows, xs):
            groups.setdefault(_plot_key(row.get(hue)) if hue else None, []).append((key, row[y]))
        for g, (label, points) in enumerate(
            sorted(groups.items(), key=lambda kv: _sort_key(kv[0]))
        ):
            color = CLASS_COLORS[g % len(CLASS_COLORS)]
            px = [positions[k] for k, _ in points]
            ax.scatter(px, [v for _, v in points], s=18, color=color, alpha=0.6, zorder=3)
            means = {}
            for k, v in points:
                means.setdefault(positions[k], []).append(v)
            mx = sorted(means)
            name = None if hue is None else f"{hue} = {_label(label)}"
            ax.plot(mx, [np.mean(means[m]) for m in mx], "-o", color=color, label=name, ms=4)
        if numeric:
            values = sorted(set(positions.values()))
            if values[0] > 0 and values[-1] / values[0] > 20:
                ax.set_xscale("log")
            if len(values) <= 12:  # label the values run, not powers of ten
                ax.set_xticks(values, [_label(v) for v in values])
                ax.minorticks_off()
        else:
            ax.set_xticks(list(positions.values()), [_label(k) for k in positions])
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.grid(True, alpha=0.3)
        n_failed = len(self.failed)
        title = f"{y} against {x}  ({len(rows)} runs"
        title += f", {n_failed} failed)" if n_failed else ")"
        ax.set_title(title, fontsize="medium")
        if hue is not None:
            ax.legend(fontsize="small", frameon=False)
        return ax


def _plot_key(value):
    if isinstance(value, list):
        return value[0] if len(value) == 1 else "x".join(map(str, value))
    return value


def _sort_key(value):
    if isinstance(value, (int, float)):
        return (0, value, "")
    return (1, 0, str(value))


def _label(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _csv_value(key, value):
    if isinstance(value, (list, tuple)):
        return "x".join(map(str, value))
    if value is None:
        return ""
    return value


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    return value


def sweep(
    space: Mapping,
    data="moons",
    *,
    search: str = "grid",
    n_iter: int | None = None,
    seed: int = 0,
    n_jobs: int = -1,
    scheduler=None,
    epochs: int | None = None,
    batch_size: int | None = None,
    fixed: Mapping | None = None,
    n_samples: int | None = 200,
    noise: float | None = None,
    validation_split: float = 0.25,
    on_result: Callable[[dict], None] | None = None,
    _crash_runs=(),
) -> SweepResult:
    """Train one network per setting in ``space``; return the table of results.

    Parameters
    ----------
    space : dict setting -> list of values (or a distribution, for random search).
        Settings: ``hidden_sizes``, ``lr``, ``l2``, ``activation``, ``optimizer``,
        ``dropout``, ``epochs``, ``batch_size``, ``seed`` (see the module docstring).
    data : a data set name (moons, circles, blobs, xor, spirals,
        gaussian_quadrants), drawn with ``n_samples``, ``noise`` and the
        sweep's ``seed``; or a pair ``(X, y)``: integer ``y`` is a
        classification (softmax cross-entropy), real ``y`` a regression (MSE).
    search : "grid" (every combination) or "random" (``n_iter`` draws).
    seed : seeds the data, its split, the random search and every run's seed.
    n_jobs : 1 runs in this process; otherwise joblib processes (-1: one per core).
    scheduler : a Dask scheduler address ("tcp://host:8786") or a
        ``distributed.Client``: the runs go to that cluster instead (n_jobs is ignored).
    epochs, batch_size : shorthands for ``fixed={"epochs": ..., "batch_size": ...}``.
    fixed : settings shared by every run (``DEFAULTS`` fill the rest).
    validation_split : fraction held out for ``val_*`` metrics (0: none).
    on_result : called with each finished row (in completion order), e.g. to print progress.

    Returns
    -------
    SweepResult, rows in run order whatever the order runs finished in.
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    fixed = dict(fixed or {})
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if value is not None:
            fixed[name] = value
    unknown = sorted(set(fixed) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown fixed setting(s) {unknown}; known: {', '.join(DEFAULTS)}")
    both = sorted(set(fixed) & set(space))
    if both:
        raise ValueError(f"{both} is both varied (space) and fixed; give it once")
    fixed = {k: _check_setting(k, v) for k, v in fixed.items()}
    runs = _expand(space, search, n_iter, seed)
    n_jobs_ok = isinstance(n_jobs, numbers.Integral) and not isinstance(n_jobs, bool)
    if not n_jobs_ok or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero integer (-1: all cores), got {n_jobs!r}")
    if _crash_runs and n_jobs == 1 and scheduler is None:
        raise ValueError("_crash_runs needs worker processes (n_jobs != 1 or a scheduler)")
    X, y, X_val, y_val, kind, description = _load_data(
        data, seed, n_samples, noise, validation_split
    )

    table, tasks = [], []
    for index, varied in enumerate(runs):
        settings = {**DEFAULTS, **fixed, **varied}
        if settings["seed"] is None:
            settings["seed"] = run_seed(seed, index)
        row = {"index": index}
        row.update({k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()})
        table.append(row)
        tasks.append(
            {
                "index": index,
                "settings": settings,
                "data": (X, y, X_val, y_val),
                "kind": kind,
                "crash": index in _crash_runs,
            }
        )
    histories: list[dict] = [{} for _ in tasks]

    def report(out: dict) -> None:
        out = dict(out)
        index = out.pop("index")
        histories[index] = out.pop("history", {})
        table[index].update(out)
        if on_result is not None:
            on_result(table[index])

    start = time.perf_counter()
    if scheduler is not None:
        backend = "dask"
        token = f"{seed}-{os.getpid()}-{time.time_ns()}"
        _run_dask(tasks, scheduler, report, token)
    elif n_jobs == 1:
        backend = "in-process"
        _run_in_process(tasks, report)
    else:
        backend = "joblib"
        _run_joblib(tasks, int(n_jobs), report)
    for index, row in enumerate(table):  # a run the backend never reported (should not happen)
        if "status" not in row:
            report(_failed(index, "the backend returned no result for this run"))
    info = {
        "data": description,
        "task": kind,
        "n_train": len(X),
        "n_validation": 0 if X_val is None else len(X_val),
        "search": search,
        "seed": seed,
        "backend": backend,
        "scheduler": scheduler if isinstance(scheduler, str) else None,
        "n_runs": len(table),
        "wall_time": time.perf_counter() - start,
    }
    return SweepResult(table=table, histories=histories, varied=list(space), info=info)
