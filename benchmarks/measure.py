"""Measuring: interleaved timing, import time, demo wall time, memory, machine facts."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- statistics


def summary(values) -> dict:
    """Median and quartiles (IQR = q3 - q1) of a list of numbers."""
    values = [float(v) for v in values]
    if len(values) == 1:
        v = values[0]
        return {"median": v, "q1": v, "q3": v, "iqr": 0.0, "n": 1}
    q1, med, q3 = (float(q) for q in np.percentile(values, [25, 50, 75]))
    return {"median": med, "q1": q1, "q3": q3, "iqr": q3 - q1, "n": len(values)}


def time_interleaved(contestants: dict, epochs: dict, rounds: int, warmup: int = 1) -> dict:
    """Run every contestant ``rounds`` times, ``epochs[name]`` epochs per sample, interleaved.

    Round r runs the contestants in table order when r is even and in reverse
    order when r is odd (A B C, C B A, A B C, ...), so slow drifts and bursts of
    load from other processes hit all of them alike. Returns seconds per sample
    for each contestant, in round order (sample r of every contestant comes from
    the same round, so ratios can be paired).
    """
    names = list(contestants)
    for _ in range(warmup):
        for name in names:
            contestants[name].run(epochs[name])
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names if r % 2 == 0 else reversed(names):
            t0 = time.perf_counter()
            contestants[name].run(epochs[name])
            samples[name].append(time.perf_counter() - t0)
    return samples


def seconds_per_epoch(contestant, repeats: int = 3) -> float:
    """A first estimate (after one warm-up epoch), to choose the epochs per sample."""
    contestant.run(1)
    t0 = time.perf_counter()
    contestant.run(repeats)
    return (time.perf_counter() - t0) / repeats


# ---------------------------------------------------------------- import time and demo


IMPORT_CODE = (
    "import time; t0 = time.perf_counter(); import numpy; t1 = time.perf_counter(); "
    "import nnscratch; t2 = time.perf_counter(); import sys; "
    "heavy = [m for m in ('sklearn', 'scipy', 'matplotlib', 'tqdm') if m in sys.modules]; "
    "print(t1 - t0, t2 - t1, ','.join(heavy))"
)


def import_time(repeats: int = 11) -> dict:
    """``import nnscratch`` after ``import numpy``, each in a fresh interpreter.

    Every subprocess times ``import numpy`` and then ``import nnscratch`` (numpy
    already loaded), so the second number is what nnscratch adds to numpy.
    Also reports which heavy modules (scikit-learn, matplotlib ...) were loaded.
    """
    numpy_s, extra_s, wall_s = [], [], []
    heavy = ""
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", IMPORT_CODE],
            capture_output=True,
            text=True,
            check=True,
            cwd=tempfile.gettempdir(),
        )
        wall_s.append(time.perf_counter() - t0)
        fields = out.stdout.split()
        numpy_s.append(float(fields[0]))
        extra_s.append(float(fields[1]))
        heavy = fields[2] if len(fields) > 2 else ""
    return {
        "numpy_s": summary(numpy_s),
        "nnscratch_extra_s": summary(extra_s),
        "process_wall_s": summary(wall_s),
        "heavy_modules_loaded": heavy,
    }


def demo_time(repeats: int = 3, epochs: int | None = None) -> dict:
    """Wall time of ``nnscratch demo --output <tmp>`` in a subprocess (what ``make demo`` runs)."""
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, "-m", "nnscratch", "demo", "--output", tmp]
            if epochs is not None:
                cmd += ["--epochs", str(epochs)]
            t0 = time.perf_counter()
            subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=tmp)
            times.append(time.perf_counter() - t0)
    return {"wall_s": summary(times), "epochs": epochs or 20000}


# ---------------------------------------------------------------- memory


def traced_memory_per_step(contestant, epochs: int, warmup: int = 3) -> dict:
    """Bytes per training step of ``nn.fit`` in steady state, measured with tracemalloc.

    A callback takes, around every epoch, the traced memory at its start,
    the peak during it (``tracemalloc.reset_peak``) and the memory at its end.
    ``retained``: end - start (what the epoch keeps: history entries, new
    arrays kept alive ...). ``peak``: peak - start, the most memory the epoch's
    temporaries held at once (0 if every step works in preallocated buffers).
    Both are medians over ``epochs`` epochs after ``warmup`` epochs, given per
    epoch and per step (divided by the steps of an epoch: for a full batch
    these are the same). ``retained_net``: traced memory after the whole
    ``fit`` call (its History kept) minus before, divided by its steps.
    """
    import tracemalloc

    import nnscratch as nn

    steps = contestant.workload.steps_per_epoch(contestant.n)
    contestant.run(warmup)
    starts = np.zeros(epochs, dtype=np.int64)
    peaks = np.zeros(epochs, dtype=np.int64)
    ends = np.zeros(epochs, dtype=np.int64)
    counter = [0]

    class Probe(nn.Callback):
        def on_epoch_begin(self, epoch, logs):
            tracemalloc.reset_peak()
            starts[counter[0]] = tracemalloc.get_traced_memory()[0]

        def on_epoch_end(self, epoch, logs):
            current, peak = tracemalloc.get_traced_memory()
            ends[counter[0]] = current
            peaks[counter[0]] = peak
            counter[0] += 1

    callback = Probe()
    tracemalloc.start()
    try:
        contestant.run(1, callbacks=[callback])  # the callback's own first-call allocations
        counter[0] = 0
        contestant.history = None
        before = tracemalloc.get_traced_memory()[0]
        contestant.run(epochs, callbacks=[callback])
        net = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    retained = summary(ends - starts)
    peak = summary(peaks - starts)
    return {
        "epochs": epochs,
        "steps_per_epoch": steps,
        "retained_per_epoch_bytes": retained["median"],
        "peak_per_epoch_bytes": peak["median"],
        "peak_per_epoch_max_bytes": float((peaks - starts).max()),
        "retained_per_step_bytes": retained["median"] / steps,
        "retained_net_per_step_bytes": net / (epochs * steps),
        "peak_per_step_bytes": peak["median"] if steps == 1 else None,
    }


RSS_CHILD = """
import json, resource, sys
sys.path.insert(0, {root!r})


def status_kb(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak():
    # Linux: writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS.
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


import numpy as np
from benchmarks.workloads import WORKLOADS, load_data, initial_params
from benchmarks.contestants import make_contestants
w = WORKLOADS[{key!r}]
X, y = load_data(w, np.{dtype}, n_samples={n_samples})
params = initial_params(w, np.{dtype})
c = make_contestants(w, X, y, params, names=[{name!r}], threads={threads})[{name!r}]
setup_peak = status_kb("VmHWM")
start = status_kb("VmRSS")
was_reset = reset_peak()
c.run({epochs})
peak = status_kb("VmHWM")
if peak is None:  # no /proc: ru_maxrss (kB on Linux), which counts set-up too
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(dict(setup_peak_kb=setup_peak, start_kb=start, peak_kb=peak, reset=was_reset)))
"""


def peak_rss(key: str, dtype: str, name: str, epochs: int = 1, n_samples=None, threads=None):
    """Peak RSS of a fresh process while it trains ``name`` for ``epochs`` epochs.

    The child builds the data and the contestant (scikit-learn's set-up trains
    one epoch), notes its RSS (``start``) and its peak so far (``setup_peak``),
    resets the peak (``/proc/self/clear_refs``), trains, and reads the peak
    again (``VmHWM``). ``training_extra`` = peak - start: what training needs on
    top of the data and the model. (``ru_maxrss`` is avoided: it cannot be reset,
    and Linux carries it over from the parent process across fork and exec.)
    """
    code = RSS_CHILD.format(
        root=str(ROOT),
        key=key,
        dtype=dtype,
        name=name,
        epochs=epochs,
        n_samples=n_samples,
        threads=threads,
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    mb = {k: (v / 1024 if isinstance(v, int) else None) for k, v in data.items()}
    return {
        "peak_mb": mb["peak_kb"],
        "start_mb": mb["start_kb"],
        "setup_peak_mb": mb["setup_peak_kb"],
        "training_extra_mb": mb["peak_kb"] - mb["start_kb"] if data["start_kb"] else None,
        "peak_reset": data["reset"],
    }


# ---------------------------------------------------------------- the machine


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git(*args) -> str:
    try:
        out = subprocess.run(
            ["git", *args], capture_output=True, text=True, cwd=ROOT, check=True, timeout=10
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def blas_info() -> list[dict]:
    """What threadpoolctl reports about the loaded BLAS/OpenMP libraries (if installed)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    import numpy  # noqa: F401  (its BLAS is the one that matters)

    keep = ("user_api", "internal_api", "prefix", "version", "architecture", "num_threads")
    rows = []
    for info in threadpool_info():
        row = {k: info.get(k) for k in keep}
        row["library"] = Path(info.get("filepath", "")).name
        row["numpy"] = "numpy" in info.get("filepath", "")
        rows.append(row)
    return rows


def numpy_blas() -> dict:
    """threadpoolctl's entry for NumPy's own BLAS (SciPy and PyTorch bring others)."""
    rows = [b for b in blas_info() if b.get("user_api") == "blas"]
    for row in rows:
        if row.get("numpy"):
            return row
    return rows[0] if rows else {}


def blas_threads() -> int | None:
    return numpy_blas().get("num_threads")


def machine_info() -> dict:
    import sklearn

    import nnscratch

    try:
        import torch

        torch_version = torch.__version__
        torch_threads = torch.get_num_threads()
    except ImportError:
        torch_version = None
        torch_threads = None
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count()
    dirty = _git("status", "--porcelain", "--", "nnscratch")
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cpu": _cpu_model(),
        "cpus_available": cpus,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "torch": torch_version,
        "torch_threads": torch_threads,
        "nnscratch": nnscratch.__version__,
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "core_modified_since_commit": bool(dirty),
        "blas": blas_info(),
        "numpy_blas": numpy_blas(),
        "env": {
            k: os.environ[k]
            for k in (
                "OPENBLAS_CORETYPE",
                "OPENBLAS_L2_SIZE",
                "OPENBLAS_NUM_THREADS",
                "OMP_NUM_THREADS",
                "MKL_NUM_THREADS",
            )
            if k in os.environ
        },
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
