"""Sweeps: the list of runs, one run, the table and picture, and every backend agreeing.

The Dask tests start a real ``distributed.LocalCluster`` (two worker processes on
127.0.0.1) and compare its results with the in-process ones, number for number.
"""

import argparse
import csv
import json
import math
import sys

import numpy as np
import pytest

from nnscratch import optimizers
from nnscratch.sweeps import (
    DATASETS,
    DEFAULTS,
    OPTIMIZERS,
    LogUniform,
    SweepResult,
    Uniform,
    _expand,
    _load_data,
    _optimizer,
    run_seed,
    sweep,
    train_run,
)

SPACE = {"hidden_sizes": [1, 3, (4, 4)], "lr": [0.01, 0.1]}
SMALL = {"epochs": 25, "n_samples": 80}


def comparable(result: SweepResult):
    """Everything a backend must reproduce exactly: rows without timings, and histories."""
    rows = [{k: v for k, v in row.items() if k != "fit_time"} for row in result.table]
    return rows, result.histories


@pytest.fixture(scope="module")
def reference():
    return sweep(SPACE, "moons", n_jobs=1, seed=3, **SMALL)


# ---------------------------------------------------------------- the list of runs
def test_grid_order_and_size():
    runs = _expand({"hidden_sizes": [2, "8x8"], "activation": ["tanh", "relu"]}, "grid", None, 0)
    assert runs == [
        {"hidden_sizes": (2,), "activation": "tanh"},
        {"hidden_sizes": (2,), "activation": "relu"},
        {"hidden_sizes": (8, 8), "activation": "tanh"},
        {"hidden_sizes": (8, 8), "activation": "relu"},
    ]
    assert _expand({"lr": 0.5}, "grid", None, 0) == [{"lr": 0.5}]  # a scalar is one value


def test_random_search_is_deterministic_and_in_range():
    space = {"lr": LogUniform(1e-4, 1e-1), "l2": Uniform(0.0, 0.01), "activation": ["tanh", "relu"]}
    runs = _expand(space, "random", 50, 7)
    assert runs == _expand(space, "random", 50, 7)
    assert runs != _expand(space, "random", 50, 8)
    assert all(1e-4 <= r["lr"] < 1e-1 and 0 <= r["l2"] < 0.01 for r in runs)
    assert {r["activation"] for r in runs} == {"tanh", "relu"}
    logs = np.log10([r["lr"] for r in runs])
    assert logs.min() < -3.3 and logs.max() > -1.7  # spread over the decades


def test_scipy_distributions_are_accepted():
    stats = pytest.importorskip("scipy.stats")
    runs = _expand({"lr": stats.loguniform(1e-3, 1e-1)}, "random", 5, 0)
    assert all(isinstance(r["lr"], float) and 1e-3 <= r["lr"] <= 1e-1 for r in runs)


@pytest.mark.parametrize(
    "space, search, n_iter, message",
    [
        ({"width": [1]}, "grid", None, "unknown setting"),
        ({"lr": LogUniform(1e-3, 1)}, "grid", None, "distribution"),
        ({"lr": [0.1]}, "grid", 3, "n_iter is for search='random'"),
        ({"lr": [0.1]}, "random", None, "needs n_iter"),
        ({"lr": [0.1]}, "bayes", None, "search must be"),
        ({"optimizer": ["lbfgs"]}, "grid", None, "optimizer 'lbfgs'"),
        ({"activation": ["swish"]}, "grid", None, "activation 'swish'"),
        ({"hidden_sizes": [0]}, "grid", None, "hidden_sizes"),
        ({"epochs": [0]}, "grid", None, "epochs must be"),
        ({}, "grid", None, "non-empty"),
    ],
)
def test_bad_spaces_are_refused(space, search, n_iter, message):
    with pytest.raises(ValueError, match=message):
        _expand(space, search, n_iter, 0)


def test_bad_sweep_arguments():
    with pytest.raises(ValueError, match="unknown data set"):
        sweep({"lr": [0.1]}, "mnist", n_jobs=1)
    with pytest.raises(ValueError, match="both varied"):
        sweep({"lr": [0.1]}, n_jobs=1, fixed={"lr": 0.2})
    with pytest.raises(ValueError, match="n_jobs"):
        sweep({"lr": [0.1]}, n_jobs=0)
    with pytest.raises(TypeError, match="pair"):
        sweep({"lr": [0.1]}, data=np.zeros((4, 2)), n_jobs=1)


def test_run_seeds_are_derived_from_sweep_seed_and_index():
    assert run_seed(0, 1) == int(np.random.SeedSequence(0, spawn_key=(1,)).generate_state(1)[0])
    seeds = {run_seed(s, i) for s in range(3) for i in range(50)}
    assert len(seeds) == 150  # every run its own seed


# ---------------------------------------------------------------- one sweep, in process
def test_table_columns_and_histories(reference):
    table = reference.table
    assert [row["index"] for row in table] == list(range(6))
    assert [row["hidden_sizes"] for row in table] == [[1], [1], [3], [3], [4, 4], [4, 4]]
    assert reference.varied == ["hidden_sizes", "lr"]
    for row, history in zip(table, reference.histories):
        assert row["status"] == "ok" and row["error"] == ""
        assert row["epochs"] == 25 and row["epochs_run"] == 25
        assert row["activation"] == DEFAULTS["activation"]
        assert 0 <= row["val_accuracy"] <= 1 and row["fit_time"] > 0
        assert len(history["loss"]) == 25 and len(history["val_accuracy"]) == 25
        assert history["loss"][-1] < history["loss"][0]
    assert len({row["seed"] for row in table}) == 6
    assert reference.info["backend"] == "in-process"
    assert reference.info["n_train"] == 60 and reference.info["n_validation"] == 20
    best = reference.best()
    assert best["val_accuracy"] == max(row["val_accuracy"] for row in table)


def test_a_row_is_reproduced_by_train_run(reference):
    X, y, X_val, y_val, kind, _ = _load_data("moons", 3, 80, None, 0.25)
    row = reference.table[4]
    _, history, metrics = train_run(row, X, y, X_val, y_val, kind=kind)
    assert history.history == reference.histories[4]
    assert all(metrics[k] == row[k] for k in metrics)


def test_seed_setting_repeats_a_configuration():
    result = sweep({"seed": [5, 5, 6]}, n_jobs=1, **SMALL)
    a, b, c = result.table
    assert a["seed"] == b["seed"] == 5 and c["seed"] == 6
    assert a["loss"] == b["loss"] and a["loss"] != c["loss"]


def test_failed_and_diverged_runs_leave_the_others(recwarn):
    result = sweep(
        {"lr": [0.05, -1.0, 1e12]},
        n_jobs=1,
        fixed={"optimizer": "sgd", "epochs": 30, "activation": "relu"},
        n_samples=80,
    )
    ok, failed, diverged = result.table
    assert ok["status"] == "ok" and math.isfinite(ok["loss"])
    assert (
        failed["status"] == "failed" and "ValueError" in failed["error"] and "lr" in failed["error"]
    )
    assert diverged["status"] == "diverged" and "smaller learning rate" in diverged["error"]
    assert result.failed == [failed]
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_named_data_set(name):
    result = sweep({"lr": [0.05]}, name, n_jobs=1, epochs=3, n_samples=60)
    row = result.table[0]
    assert row["status"] == "ok" and 0 <= row["val_accuracy"] <= 1
    assert result.info["data"] == name and result.info["task"] == "classification"


def test_missing_dask_is_explained(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(ImportError, match=r"nnscratch\[dask\]"):
        sweep({"lr": [0.1]}, scheduler="tcp://127.0.0.1:1", epochs=1, n_samples=20)


def test_optimizers_get_by_name_or_instance():
    adam = optimizers.Adam(lr=0.1)
    assert optimizers.get(adam) is adam
    sgd = optimizers.get("sgd", lr=0.2, momentum=0.5)
    assert type(sgd) is optimizers.SGD and (sgd.lr, sgd.momentum) == (0.2, 0.5)
    nesterov = optimizers.get("nesterov", lr=0.1, momentum=0.5)  # the name's default overridden
    assert type(nesterov) is optimizers.SGD and (nesterov.momentum, nesterov.nesterov) == (
        0.5,
        True,
    )
    with pytest.raises(ValueError, match=r"unknown optimizer 'adamw'; expected one of sgd, adam"):
        optimizers.get("adamw")


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_setting_builds_its_optimizer(name):
    expected = {
        "sgd": (optimizers.SGD, {"momentum": 0.0, "nesterov": False}),
        "momentum": (optimizers.SGD, {"momentum": 0.9, "nesterov": False}),
        "nesterov": (optimizers.SGD, {"momentum": 0.9, "nesterov": True}),
        "adam": (optimizers.Adam, {}),
        "rmsprop": (optimizers.RMSProp, {}),
        "adagrad": (optimizers.AdaGrad, {}),
    }
    cls, attributes = expected[name]
    optimizer = _optimizer(name, 0.03)
    assert type(optimizer) is cls and optimizer.lr == 0.03
    assert {k: getattr(optimizer, k) for k in attributes} == attributes


def test_regression_from_arrays():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    y = X @ np.array([1.0, -1.0, 0.5]) + 0.1 * rng.normal(size=100)
    result = sweep({"hidden_sizes": [4, 8]}, data=(X, y), n_jobs=1, epochs=60, fixed={"lr": 0.05})
    assert result.info["task"] == "regression"
    for row in result.table:
        assert row["status"] == "ok" and "val_r2" in row and "accuracy" not in row
    assert result.default_metric() == "val_r2"
    assert result.best()["val_r2"] > 0.5


# ---------------------------------------------------------------- files and picture
def test_csv_and_json(tmp_path, reference):
    reference.table[1]["val_loss"] = math.nan  # NaN must survive both formats
    try:
        csv_path = reference.to_csv(tmp_path / "out" / "sweep.csv")
        json_path = reference.to_json(tmp_path / "out" / "sweep.json")
    finally:
        reference.table[1]["val_loss"] = reference.histories[1]["val_loss"][-1]
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6 and rows[4]["hidden_sizes"] == "4x4" and rows[0]["batch_size"] == ""
    assert rows[1]["val_loss"] == "nan"
    assert float(rows[2]["val_accuracy"]) == reference.table[2]["val_accuracy"]
    document = json.loads(json_path.read_text())
    assert document["format"] == "nnscratch-sweep" and document["varied"] == ["hidden_sizes", "lr"]
    assert document["runs"][1]["val_loss"] is None
    assert document["runs"][3]["history"]["loss"] == reference.histories[3]["loss"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["sweep.csv", "sweep.json"]


def test_plots(tmp_path, reference):
    from nnscratch.plotting import save_figure

    ax = reference.plot(x="hidden_sizes")
    assert ax.get_xlabel() == "hidden_sizes" and ax.get_ylabel() == "val_accuracy"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "3", "4x4"]
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"lr = 0.01", "lr = 0.1"}
    path = save_figure(ax.figure, tmp_path / "sweep.png")
    assert path.stat().st_size > 1000

    ax = reference.plot(x="lr", y="loss")
    assert ax.get_xscale() == "linear" and "6 runs" in ax.get_title()
    spread = sweep({"lr": [1e-3, 1e-2, 1e-1]}, n_jobs=1, **SMALL)
    assert spread.plot().get_xscale() == "log"


# ---------------------------------------------------------------- local processes
def test_joblib_processes_match_in_process(reference):
    result = sweep(SPACE, "moons", n_jobs=2, seed=3, **SMALL)
    assert result.info["backend"] == "joblib"
    assert comparable(result) == comparable(reference)


def test_joblib_worker_death_reports_only_that_run(reference):
    result = sweep(SPACE, "moons", n_jobs=2, seed=3, _crash_runs={2}, **SMALL)
    rows, histories = comparable(result)
    expected_rows, expected_histories = comparable(reference)
    assert rows[2]["status"] == "failed" and "worker process died" in rows[2]["error"]
    assert histories[2] == {}
    others = [i for i in range(6) if i != 2]
    assert [rows[i] for i in others] == [expected_rows[i] for i in others]
    assert [histories[i] for i in others] == [expected_histories[i] for i in others]


# ---------------------------------------------------------------- a Dask cluster
@pytest.fixture(scope="module")
def cluster():
    pytest.importorskip("distributed")
    import dask
    from distributed import LocalCluster

    # allowed-failures 0: a task whose worker dies is reported at once (KilledWorker)
    # instead of being tried on other workers; worker-saturation 1.0: a worker holds only
    # the task it runs, so a death takes no innocent task with it.
    settings = {
        "distributed.scheduler.allowed-failures": 0,
        "distributed.scheduler.worker-saturation": 1.0,
    }
    with dask.config.set(settings):
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
    yield cluster
    cluster.close()


def test_dask_cluster_matches_in_process(cluster, reference):
    result = sweep(SPACE, "moons", scheduler=cluster.scheduler_address, seed=3, **SMALL)
    assert result.info["backend"] == "dask"
    assert result.info["scheduler"] == cluster.scheduler_address
    assert comparable(result) == comparable(reference)


def test_dask_worker_killed_mid_sweep(cluster, reference):
    from distributed import Client

    with Client(cluster.scheduler_address, set_as_default=False) as client:
        result = sweep(SPACE, "moons", scheduler=client, seed=3, _crash_runs={3}, **SMALL)
        assert client.status == "running"  # the user's client is left open
    rows, histories = comparable(result)
    expected_rows, expected_histories = comparable(reference)
    assert rows[3]["status"] == "failed" and "KilledWorker" in rows[3]["error"]
    assert math.isnan(rows[3].get("loss", math.nan))
    others = [i for i in range(6) if i != 3]
    assert [rows[i] for i in others] == [expected_rows[i] for i in others]
    assert [histories[i] for i in others] == [expected_histories[i] for i in others]
    # The cluster recovers (the nanny restarts the worker) and the next sweep is whole.
    again = sweep({"lr": [0.01, 0.1]}, scheduler=cluster.scheduler_address, **SMALL)
    assert [row["status"] for row in again.table] == ["ok", "ok"]


# ---------------------------------------------------------------- command line
def cli(argv):
    from nnscratch.cli.experiments import add_sweep_parser

    parser = argparse.ArgumentParser(prog="nnscratch")
    add_sweep_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.run(args)


def test_cli_sweep(tmp_path, capsys, reference):
    argv = ["sweep", "hidden_sizes=1,3,4x4", "lr=0.01,0.1", "--epochs", "25", "--samples", "80"]
    argv += ["--seed", "3", "--jobs", "1", "--output", str(tmp_path)]
    assert cli(argv) == 0
    out = capsys.readouterr().out
    assert "run 5: hidden_sizes=4x4 lr=0.1" in out and "best val_accuracy" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.csv", "sweep.json", "sweep.png"]
    document = json.loads((tmp_path / "sweep.json").read_text())
    rows = [
        {k: v for k, v in r.items() if k not in ("fit_time", "history")} for r in document["runs"]
    ]
    assert rows == comparable(reference)[0]


def test_cli_sweep_random_and_errors(tmp_path, capsys):
    argv = ["sweep", "lr=loguniform:1e-3:1e-1", "activation=tanh,relu", "--search", "random"]
    argv += ["--n-iter", "3", "--set", "optimizer=sgd", "--set", "batch_size=none"]
    argv += [
        "--epochs",
        "5",
        "--samples",
        "40",
        "--jobs",
        "1",
        "--quiet",
        "--output",
        str(tmp_path),
    ]
    assert cli(argv) == 0
    rows = list(csv.DictReader(open(tmp_path / "sweep.csv", newline="")))
    assert len(rows) == 3 and {r["optimizer"] for r in rows} == {"sgd"}
    assert "[1]" not in capsys.readouterr().out  # --quiet
    with pytest.raises(ValueError, match="unknown setting 'width'"):
        cli(["sweep", "width=3", "--jobs", "1"])
    with pytest.raises(ValueError, match="not like 8 or 16x8"):
        cli(["sweep", "hidden_sizes=8y8", "--jobs", "1"])
    with pytest.raises(ValueError, match="NAME=VALUES"):
        cli(["sweep", "hidden_sizes", "--jobs", "1"])
    failing = ["sweep", "lr=0.1,-1", "--epochs", "3", "--samples", "40", "--jobs", "1"]
    assert cli(failing + ["--output", str(tmp_path / "f")]) == 1
    assert "1 of 2 runs failed" in capsys.readouterr().err
