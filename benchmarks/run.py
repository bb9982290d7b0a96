"""Run the benchmarks of issue "4/7 Speed" and print the table.

    python benchmarks/run.py                 # the full run (~3 min on 2 cores), writes results.json
    python benchmarks/run.py --smoke         # every workload and contestant for 2-3 steps (CI);
                                             # no numba engine unless --with-numba (JIT ~10 s)
    python benchmarks/run.py --markdown      # also print the table for docs/benchmarks.md
    python benchmarks/run.py --from-json benchmarks/results.json --update-docs
                                             # regenerate docs/benchmarks.md without measuring

Every ratio is nnscratch's time divided by the contestant's (below 1: nnscratch
is faster), the median of the ratios of samples taken in the same round, with
the interquartile range of those ratios in brackets. Both engines of ``nn.fit``
are measured (``engine="numpy"``, the default, and ``engine="numba"`` when numba
is installed) and get their own rows and targets. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from benchmarks import breakdown, measure  # noqa: E402
from benchmarks.contestants import (  # noqa: E402
    make_contestants,
    numba_unavailable,
    torch_available,
)
from benchmarks.workloads import WORKLOADS, initial_params, load_data  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results.json"
DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"

FIT_CALLS = ("nnscratch", "nnscratch_numba", "sklearn")
CONTESTANTS = ["nnscratch", "nnscratch_numba", "loop", "loop_arange", "matmul", "sklearn", "torch"]
# The two engines of nn.fit; every other contestant is compared with each of them.
ENGINES = {"numpy": "nnscratch", "numba": "nnscratch_numba"}
RATIO_KEYS = {"numpy": "ratio", "numba": "ratio_numba"}
LABELS = {
    "nnscratch": "nnscratch fit",
    "nnscratch_numba": "nnscratch fit, engine=numba",
    "loop": "hand-written loop",
    "loop_arange": "loop, np.arange rows",
    "matmul": "matrix products only",
    "sklearn": "scikit-learn MLPClassifier",
    "torch": "PyTorch eager",
}

# Full mode: (seconds per sample to aim for, rounds). Heavy workloads: one epoch per sample.
LIGHT = {"target_s": 0.05, "rounds": 21}
HEAVY = {"epochs": 1, "rounds": 9}
# Targets of the issue: nnscratch / contestant must be at most this.
LIMITS = {
    ("W1", "loop"): 0.8,
    ("W2", "loop"): 0.8,
    ("W3", "loop"): 0.8,
    ("W4", "matmul"): 1.2,
    ("W5", "matmul"): 1.2,
}
IMPORT_LIMIT_S = 0.05
DEMO_LIMIT_S = 5.0
NO_ARRAYS_BYTES = 1024  # below the smallest per-sample array of W1 (200 rows x 8 bytes)


# ---------------------------------------------------------------- measuring


def bench_workload(workload, dtype, *, smoke: bool, names, threads, rounds_scale=1.0) -> dict:
    """Time every contestant on one workload (a key or a Workload) and dtype; interleaved rounds."""
    w = WORKLOADS[workload] if isinstance(workload, str) else workload
    key = w.key
    n = w.smoke_samples() if smoke else w.n_samples
    X, y = load_data(w, dtype, n_samples=n)
    params = initial_params(w, dtype)
    wanted = [c for c in names if c != "loop_arange" or not w.heavy]
    contestants = make_contestants(w, X, y, params, names=wanted, threads=threads)
    steps = w.steps_per_epoch(n)
    if smoke:
        epochs = dict.fromkeys(contestants, 1 if w.batch_size else 2)
        rounds, warmup = 1, 0
    elif w.heavy:
        epochs, warmup = dict.fromkeys(contestants, HEAVY["epochs"]), 1
        rounds = max(3, round(HEAVY["rounds"] * rounds_scale))
    else:
        # ~target_s per sample. The two fit() calls share one count, so their per-call
        # costs (input checks) are amortized alike; Python loops have no per-call cost
        # and get their own count (PyTorch can be 100x slower than nnscratch on W1).
        per_epoch = {name: measure.seconds_per_epoch(c) for name, c in contestants.items()}
        epochs = {name: max(1, round(LIGHT["target_s"] / per_epoch[name])) for name in contestants}
        for name in FIT_CALLS:
            if name in epochs:
                epochs[name] = epochs["nnscratch"]
        rounds, warmup = max(3, round(LIGHT["rounds"] * rounds_scale)), 0
    samples = measure.time_interleaved(contestants, epochs, rounds, warmup=warmup)
    result = {
        "workload": key,
        "title": w.title,
        "dtype": np.dtype(dtype).name,
        "n_samples": n,
        "batch_size": w.batch_size,
        "steps_per_epoch": steps,
        "epochs_per_sample": epochs,
        "rounds": rounds,
        "per_step_s": {},
        "per_epoch_s": {},
        "ratio": {},
        "samples_s": samples,
        "diverged": bool(contestants["nnscratch"].diverged),
    }
    if "nnscratch_numba" in names:
        result["ratio_numba"] = {}
        result["numba_unavailable"] = (
            None if "nnscratch_numba" in contestants else numba_unavailable(w, dtype)
        )
        if "nnscratch_numba" in contestants:
            result["diverged_numba"] = bool(contestants["nnscratch_numba"].diverged)

    def paired(a: str, b: str) -> dict:  # a's per-epoch time / b's, sample by sample (same round)
        ka, kb = epochs[a], epochs[b]
        return measure.summary([(x / ka) / (z / kb) for x, z in zip(samples[a], samples[b])])

    for name, values in samples.items():
        k = epochs[name]
        result["per_epoch_s"][name] = measure.summary([v / k for v in values])
        result["per_step_s"][name] = measure.summary([v / (k * steps) for v in values])
        if name in ENGINES.values():
            continue
        for engine, base in ENGINES.items():
            if base in samples:
                result[RATIO_KEYS[engine]][name] = paired(base, name)
    if "nnscratch_numba" in samples:
        result["numba_over_numpy"] = paired("nnscratch_numba", "nnscratch")
    return result


def bench_memory(keys, dtypes, *, smoke: bool) -> list[dict]:
    from benchmarks.contestants import NnscratchFit

    rows = []
    for key in keys:
        w = WORKLOADS[key] if isinstance(key, str) else key
        for dtype in dtypes:
            n = w.smoke_samples() if smoke else w.n_samples
            X, y = load_data(w, dtype, n_samples=n)
            c = NnscratchFit(w, X, y, initial_params(w, dtype))
            epochs = 2 if smoke else (3 if w.heavy else 20)
            warmup = 1 if smoke else 3
            row = measure.traced_memory_per_step(c, epochs, warmup=warmup)
            row.update(workload=w.key, dtype=np.dtype(dtype).name, full_batch=w.batch_size is None)
            rows.append(row)
    return rows


def bench_rss(names, dtypes, *, smoke: bool, threads) -> list[dict]:
    """Peak RSS on W5 (smoke: nnscratch in the first dtype only, on 2 batches)."""
    w = WORKLOADS["W5"]
    rows = []
    if smoke:
        names, dtypes = ["nnscratch"], list(dtypes)[:1]
    for dtype in dtypes:
        for name in names:
            if name in ("loop_arange", "matmul") or (name == "torch" and not torch_available()):
                continue
            n = w.smoke_samples() if smoke else None
            row = measure.peak_rss("W5", np.dtype(dtype).name, name, epochs=1, n_samples=n,
                                   threads=threads)  # fmt: skip
            row.update(contestant=name, dtype=np.dtype(dtype).name)
            rows.append(row)
    return rows


def run(
    *,
    smoke: bool = False,
    keys=None,
    dtypes=(np.float64, np.float32),
    names=None,
    extras: bool = True,
    threads: int | None = None,
    rounds_scale: float = 1.0,
    numba: bool | None = None,
    log=print,
) -> dict:
    """Measure everything; returns the results dictionary (what results.json holds).

    ``keys``: workload keys or ``Workload`` objects (default: W1-W5).
    ``numba``: also time ``nn.fit(engine="numba")`` (default: in full runs only; its
    JIT compilation takes ~10 s per dtype, too long for a smoke run).
    """
    keys = list(keys or WORKLOADS)
    if names is None:
        names = list(CONTESTANTS)
        if numba is False or (numba is None and smoke):
            names.remove("nnscratch_numba")
    names = list(names)
    if "torch" in names and not torch_available():
        names.remove("torch")
        log("PyTorch is not installed: the torch column is skipped")
    if "nnscratch_numba" in names:
        from nnscratch import compiled

        if not compiled.available():
            log("numba is not installed: the engine=numba rows are skipped (–)")
    threads = threads or measure.blas_threads()
    limiter = contextlib.nullcontext()
    if threads:
        with contextlib.suppress(ImportError):
            from threadpoolctl import threadpool_limits

            limiter = threadpool_limits(limits=threads, user_api="blas")
    results: dict = {"mode": "smoke" if smoke else "full", "threads": threads}
    started = time.perf_counter()
    with limiter:
        results["machine"] = measure.machine_info()
        results["workloads"] = []
        for key in keys:
            for dtype in dtypes:
                t0 = time.perf_counter()
                row = bench_workload(
                    key, dtype, smoke=smoke, names=names, threads=threads,
                    rounds_scale=rounds_scale,
                )  # fmt: skip
                results["workloads"].append(row)
                line = (
                    f"{row['workload']} {row['dtype']}: nnscratch "
                    f"{_us(row['per_step_s']['nnscratch']['median'])}/step, "
                    + ", ".join(f"/{k} {v['median']:.2f}" for k, v in row["ratio"].items())
                )
                if row.get("ratio_numba"):
                    line += (
                        f"; engine=numba {_us(row['per_step_s']['nnscratch_numba']['median'])}"
                        "/step, "
                        + ", ".join(
                            f"/{k} {v['median']:.2f}" for k, v in row["ratio_numba"].items()
                        )
                    )
                log(line + f"   ({time.perf_counter() - t0:.0f} s)")
        if extras:
            results["import"] = measure.import_time(1 if smoke else 11)
            log(f"import: {results['import']['nnscratch_extra_s']['median']:.3f} s over numpy")
            results["memory"] = bench_memory(keys, dtypes, smoke=smoke)
            log("memory: done")
            if any(getattr(k, "key", k) == "W5" for k in keys):
                results["rss"] = bench_rss(names, dtypes, smoke=smoke, threads=threads)
                log("peak RSS: done")
            results["demo"] = measure.demo_time(1 if smoke else 3, epochs=100 if smoke else None)
            log(f"demo: {results['demo']['wall_s']['median']:.1f} s")
            results["breakdown"] = breakdown.run_all(
                keys,
                dtypes,
                smoke=smoke,
                numba="nnscratch_numba" in names,
                log=log,
            )
    results["machine"]["load_average_end"] = measure.machine_info()["load_average"]
    results["elapsed_s"] = time.perf_counter() - started
    return results


# ---------------------------------------------------------------- targets


def targets(results: dict) -> list[dict]:
    """Every target of the issue with its measured value and pass/fail."""
    out = []
    for engine, ratio_key in RATIO_KEYS.items():
        for row in results.get("workloads", []):
            key, dtype = row["workload"], row["dtype"]
            for name, ratio in (row.get(ratio_key) or {}).items():
                limit = _limit(key, name)
                if limit is None:
                    continue
                strict = name in ("sklearn", "torch")
                who = "nnscratch" if engine == "numpy" else "nnscratch engine=numba"
                out.append(
                    {
                        "what": f"{key} {dtype}: {who} / {name}",
                        "engine": engine,
                        "value": ratio["median"],
                        "limit": limit,
                        "strict": strict,
                        "pass": ratio["median"] < limit if strict else ratio["median"] <= limit,
                        "within_noise": ratio["q1"] <= limit <= ratio["q3"],
                    }
                )
    for row in results.get("memory", []):
        if row["full_batch"]:
            worst = max(row["peak_per_epoch_bytes"], row["retained_per_epoch_bytes"])
            out.append(
                {
                    "what": f"{row['workload']} {row['dtype']}: bytes allocated per full-batch step",
                    "engine": "numpy",
                    "value": worst,
                    "limit": NO_ARRAYS_BYTES,
                    "strict": False,
                    "pass": worst <= NO_ARRAYS_BYTES,
                }
            )
    if "import" in results:
        value = results["import"]["nnscratch_extra_s"]["median"]
        out.append(
            {
                "what": "import nnscratch after numpy (s)",
                "engine": "any",
                "value": value,
                "limit": IMPORT_LIMIT_S,
                "strict": False,
                "pass": value <= IMPORT_LIMIT_S,
            }
        )
    if "demo" in results and results["demo"]["epochs"] == 20000:
        value = results["demo"]["wall_s"]["median"]
        out.append(
            {
                "what": "make demo wall time (s)",
                "engine": "any",
                "value": value,
                "limit": DEMO_LIMIT_S,
                "strict": False,
                "pass": value <= DEMO_LIMIT_S,
            }
        )
    return out


def _limit(key: str, name: str) -> float | None:
    """The issue's limit on nnscratch / ``name`` for workload ``key`` (None: no target)."""
    if name in ("sklearn", "torch"):
        return 1.0
    return LIMITS.get((key, name))


def target_summary(checks: list[dict]) -> str:
    """ "a of b pass with engine=numpy; ..." -- each engine counted on its own."""
    parts = []
    for engine, label in (("numpy", "engine=numpy"), ("numba", "engine=numba"),
                          ("any", "engine-independent")):  # fmt: skip
        group = [t for t in checks if t.get("engine", "numpy") == engine]
        if group:
            parts.append(f"{sum(t['pass'] for t in group)} of {len(group)} {label}")
    return "Targets passed: " + "; ".join(parts) + "."


# ---------------------------------------------------------------- tables


def _us(seconds: float) -> str:
    us = seconds * 1e6
    if us >= 100000:
        return f"{us / 1000:.0f} ms"
    if us >= 1000:
        return f"{us / 1000:.3g} ms"
    if us >= 100:
        return f"{us:.0f} µs"
    return f"{us:.1f} µs"


def _r(x: float) -> str:
    return f"{x:.3g}" if x >= 0.1 else f"{x:.2g}"


def _ratio_cell(row: dict, name: str, mark: bool, ratio_key: str = "ratio") -> str:
    ratio = (row.get(ratio_key) or {}).get(name)
    if ratio is None:
        return "–"
    text = f"{_r(ratio['median'])} ({_r(ratio['q1'])}–{_r(ratio['q3'])})"
    if mark:
        limit = _limit(row["workload"], name)
        if limit is not None:
            ok = ratio["median"] < limit if limit == 1.0 else ratio["median"] <= limit
            text += (
                f" {'✅' if ok else '❌'} ≤{limit:g}"
                if limit != 1.0
                else (f" {'✅' if ok else '❌'}")
            )
    return text


def _table(header: list[str], rows: list[list[str]], markdown: bool) -> list[str]:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return lines
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header), "  ".join("-" * w for w in widths)]
    lines += [fmt.format(*r) for r in rows]
    return lines


def render(results: dict, markdown: bool = False) -> str:
    present = [
        n for n in CONTESTANTS if any(n in r["per_step_s"] for r in results.get("workloads", []))
    ]
    others = [n for n in present if n not in ENGINES.values()]
    with_numba = any("ratio_numba" in r for r in results.get("workloads", []))
    lines: list[str] = []
    m = results.get("machine", {})
    blas = m.get("numpy_blas") or {}
    heading = "### " if markdown else ""
    if results.get("mode") == "smoke":
        lines.append(
            "SMOKE RUN: one sample of 2-3 steps, no warm-up; the numbers are not measurements."
        )
        lines.append("")
    lines.append(
        f"{heading}Ratios: nnscratch time / contestant time (below 1: nnscratch is faster); "
        "median of paired rounds, IQR in brackets"
    )
    lines.append("")
    header = ["workload", "dtype", "engine", "nnscratch per step (IQR)"]
    header += [f"÷ {n}" for n in others]
    if with_numba:
        header.append("÷ engine=numpy")
    rows = []
    for r in results.get("workloads", []):
        for engine, base in ENGINES.items():
            if engine == "numba" and "ratio_numba" not in r:
                continue
            nn_t = r["per_step_s"].get(base)
            if nn_t is None:
                reason = r.get("numba_unavailable") or "not run"
                cells = [r["workload"], r["dtype"], engine, f"– ({reason})"]
                rows.append(cells + ["–"] * (len(header) - len(cells)))
                continue
            cell = f"{_us(nn_t['median'])} ({_us(nn_t['iqr'])})"
            if r.get("diverged" if engine == "numpy" else "diverged_numba"):
                cell += " DIVERGED"
            cells = [r["workload"], r["dtype"], engine, cell]
            cells += [_ratio_cell(r, n, True, RATIO_KEYS[engine]) for n in others]
            if with_numba:
                speed = r.get("numba_over_numpy") if engine == "numba" else None
                cells.append(
                    f"{_r(speed['median'])} ({_r(speed['q1'])}–{_r(speed['q3'])})" if speed else "–"
                )
            rows.append(cells)
    lines += _table(header, rows, markdown)
    lines.append("")
    lines.append(f"{heading}Time per step, every contestant (median, IQR in brackets)")
    lines.append("")
    header = ["workload", "dtype", "steps/epoch"] + present
    rows = []
    for r in results.get("workloads", []):
        cells = [r["workload"], r["dtype"], str(r["steps_per_epoch"])]
        for n in present:
            t = r["per_step_s"].get(n)
            cells.append(f"{_us(t['median'])} ({_us(t['iqr'])})" if t else "–")
        rows.append(cells)
    lines += _table(header, rows, markdown)
    minibatch = [r for r in results.get("workloads", []) if r["batch_size"]]
    if minibatch:
        lines.append("")
        lines.append(f"{heading}Time per epoch (mini-batch workloads, shuffled every epoch)")
        lines.append("")
        header = ["workload", "dtype"] + present
        rows = []
        for r in minibatch:
            cells = [r["workload"], r["dtype"]]
            for n in present:
                t = r["per_epoch_s"].get(n)
                cells.append(f"{_us(t['median'])} ({_us(t['iqr'])})" if t else "–")
            rows.append(cells)
        lines += _table(header, rows, markdown)
    if results.get("memory"):
        lines.append("")
        lines.append(f"{heading}Memory per step of nnscratch fit (tracemalloc, steady state)")
        lines.append("")
        header = ["workload", "dtype", "steps/epoch", "retained/step", "net retained/step",
                  "peak of temporaries"]  # fmt: skip
        rows = []
        for r in results["memory"]:
            scope = "per step" if r["full_batch"] else "in an epoch"
            rows.append(
                [
                    r["workload"],
                    r["dtype"],
                    str(r["steps_per_epoch"]),
                    f"{r['retained_per_step_bytes']:.0f} B",
                    f"{r['retained_net_per_step_bytes']:.0f} B",
                    f"{r['peak_per_epoch_bytes'] / 1024:.1f} KiB {scope}",
                ]
            )
        lines += _table(header, rows, markdown)
    if results.get("rss"):
        lines.append("")
        lines.append(f"{heading}Peak RSS training W5 (one epoch, fresh process)")
        lines.append("")
        header = [
            "contestant",
            "dtype",
            "RSS before training",
            "peak while training",
            "training adds",
        ]
        rows = [
            [
                r["contestant"],
                r["dtype"],
                _mb(r.get("start_mb")),
                _mb(r["peak_mb"]),
                _mb(r.get("training_extra_mb")),
            ]
            for r in results["rss"]
        ]
        lines += _table(header, rows, markdown)
    if results.get("breakdown"):
        lines.append("")
        lines.append(
            f"{heading}Where the time goes: the parts of a step, timed in place "
            "(median of rounds; share of fit's step)"
        )
        lines.append("")
        lines.append(breakdown.render(results["breakdown"], markdown).rstrip())
    checks = targets(results)
    if checks:
        lines.append("")
        lines.append(f"{heading}Targets")
        lines.append("")
        rows = []
        for t in checks:
            op = "<" if t["strict"] else "≤"
            verdict = "✅" if t["pass"] else "❌"
            if t.get("within_noise"):
                verdict += " (limit inside the IQR)"
            engine = t.get("engine", "numpy")
            rows.append(
                [
                    "both" if engine == "any" else engine,
                    t["what"],
                    f"{t['value']:.3g}",
                    f"{op} {t['limit']:g}",
                    verdict,
                ]
            )
        lines += _table(["engine", "target", "measured", "limit", "pass"], rows, markdown)
        lines.append("")
        lines.append(target_summary(checks))
    lines.append("")
    imp = results.get("import")
    if imp:
        lines.append(
            f"`import numpy`: {imp['numpy_s']['median']:.3f} s; `import nnscratch` adds "
            f"{imp['nnscratch_extra_s']['median']:.3f} s (IQR {imp['nnscratch_extra_s']['iqr']:.3f}); "
            f"heavy modules loaded: {imp['heavy_modules_loaded'] or 'none'}."
        )
    demo = results.get("demo")
    if demo:
        lines.append(
            f"`nnscratch demo` ({demo['epochs']} epochs, picture included): "
            f"{demo['wall_s']['median']:.2f} s wall (median of {demo['wall_s']['n']})."
        )
    lines.append(
        f"Machine: {m.get('cpu')}, {m.get('cpus_available')} CPUs available, "
        f"{results.get('threads')} BLAS thread(s); NumPy's BLAS: {blas.get('internal_api')} "
        f"{blas.get('version')}, kernel {blas.get('architecture')} (threadpoolctl)"
        + (f", env {m['env']}" if m.get("env") else "")
        + f"; Python {m.get('python')}, NumPy {m.get('numpy')}, scikit-learn "
        f"{m.get('scikit-learn')}, PyTorch {m.get('torch') or 'not installed'}; nnscratch "
        f"{m.get('nnscratch')} at {m.get('git_commit')}"
        + (" (core modified)" if m.get("core_modified_since_commit") else "")
        + f"; load average {_load(m.get('load_average'))} at start, "
        f"{_load(m.get('load_average_end'))} at end; {m.get('date')}; "
        f"{results.get('mode')} run, {results.get('elapsed_s', 0):.0f} s."
    )
    return "\n".join(lines)


def _mb(value) -> str:
    return "?" if value is None else f"{value:.0f} MB"


def _load(values) -> str:
    return "/".join(f"{v:.1f}" for v in values) if values else "?"


def update_docs(results: dict, path: Path = DOCS) -> None:
    """Replace the text between the results markers of docs/benchmarks.md."""
    text = path.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path} has no {BEGIN} ... {END} markers")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{BEGIN}\n{render(results, markdown=True)}\n{END}{tail}", "utf-8")


def _jsonable(obj):
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="2-3 steps per workload (CI)")
    parser.add_argument("--markdown", action="store_true", help="print the docs table")
    parser.add_argument("--json", type=Path, help=f"write results here (full run: {RESULTS})")
    parser.add_argument("--from-json", type=Path, help="render saved results, measure nothing")
    parser.add_argument("--update-docs", action="store_true", help=f"rewrite the table in {DOCS}")
    parser.add_argument("--only", help="workloads, e.g. W1,W3 (default: all)")
    parser.add_argument("--dtypes", default="float64,float32")
    parser.add_argument("--contestants", help=f"subset of {','.join(CONTESTANTS)}")
    parser.add_argument("--no-extras", action="store_true", help="skip import/demo/memory")
    parser.add_argument("--threads", type=int, help="BLAS and torch threads (default: BLAS's)")
    parser.add_argument("--rounds-scale", type=float, default=1.0, help="more/fewer rounds")
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--with-numba",
        dest="numba",
        action="store_true",
        default=None,
        help="time engine='numba' in a smoke run too (JIT compile ~10 s)",
    )
    group.add_argument("--no-numba", dest="numba", action="store_false",
                       help="skip engine='numba' (default: timed in full runs)")  # fmt: skip
    args = parser.parse_args(argv)

    if args.from_json:
        results = json.loads(args.from_json.read_text(encoding="utf-8"))
    else:
        keys = args.only.split(",") if args.only else None
        for key in keys or []:
            if key not in WORKLOADS:
                parser.error(f"unknown workload {key}; expected {', '.join(WORKLOADS)}")
        dtypes = [np.dtype(d).type for d in args.dtypes.split(",")]
        names = args.contestants.split(",") if args.contestants else None
        results = run(
            smoke=args.smoke,
            keys=keys,
            dtypes=dtypes,
            names=names,
            extras=not args.no_extras,
            threads=args.threads,
            rounds_scale=args.rounds_scale,
            numba=args.numba,
            log=lambda msg: print(msg, file=sys.stderr, flush=True),
        )
        out = args.json or (None if args.smoke or args.only else RESULTS)
        if out:
            out.write_text(json.dumps(_jsonable(results), indent=1) + "\n", encoding="utf-8")
            print(f"results written to {out}", file=sys.stderr)
    print(render(results, markdown=args.markdown))
    if args.update_docs:
        update_docs(results)
        print(f"{DOCS} updated", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
