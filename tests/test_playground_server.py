"""The playground's server over real HTTP on 127.0.0.1: API, validation, downloads, concurrency."""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import runpy
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.playground.config import DEFAULTS, LIMITS, validate
from nnscratch.playground.engine import Experiment, feature_matrix
from nnscratch.playground.server import Registry, make_server


@contextlib.contextmanager
def running(**registry_options):
    server = make_server("127.0.0.1", 0, registry=Registry(**registry_options))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def server():
    with running() as srv:
        yield srv


def call(server, method, path, body=None, *, headers=None, raw=None, timeout=10):
    """(status, headers, parsed JSON or bytes) of one request."""
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    hdrs = dict(headers or {})
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=data, headers=hdrs)
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    if response.getheader("Content-Type", "").startswith("application/json"):
        payload = json.loads(payload)
    return response.status, dict(response.getheaders()), payload


def new_session(server, **config):
    status, _, snap = call(server, "POST", "/api/sessions", {"config": config})
    assert status == 201, snap
    return snap


# ---------------------------------------------------------------- the page and the API
def test_page_and_schema(server):
    status, headers, body = call(server, "GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'id="boundary"' in body and b"<script>" in body
    status, _, schema = call(server, "GET", "/api/schema")
    assert status == 200
    assert schema["defaults"] == DEFAULTS and schema["limits"]["n_points"] == list(
        LIMITS["n_points"]
    )
    assert set(schema["datasets"]) == {
        "moons",
        "circles",
        "xor",
        "gaussian",
        "spirals",
        "quadrants",
    }
    assert {"sgd", "momentum", "adam"} <= set(schema["optimizers"])


def test_session_snapshot_shapes(server):
    snap = new_session(
        server, dataset="spirals", classes=3, layers=[{"units": 5, "activation": "relu"}]
    )
    assert snap["epoch"] == 0 and snap["playing"] is False and snap["status"] == "ready"
    assert snap["config"] == validate(
        {"dataset": "spirals", "classes": 3, "layers": [{"units": 5, "activation": "relu"}]}
    )
    data = snap["data"]
    assert data["classes"] == 3 and len(data["train"]) + len(data["test"]) == 300
    assert len(data["test"]) == 90  # test_ratio 0.3
    b = snap["boundary"]
    import base64

    cells = np.frombuffer(base64.b64decode(b["cells"]), dtype=np.uint8)
    assert cells.size == b["n"] ** 2 and set(cells // b["levels"]) <= {0, 1, 2}
    net = snap["network"]
    assert net["sizes"] == [2, 5, 3]
    assert [len(h) for h in net["heatmaps"]] == [2, 5]
    assert len(base64.b64decode(net["heatmaps"][1][0])) == net["grid"] ** 2
    assert np.array(net["weights"][0]).shape == (2, 5)
    assert snap["history"]["epoch"] == [0]


def test_steps_train_and_the_loss_falls(server):
    snap = new_session(server, dataset="moons", n_points=200)
    sid = snap["id"]
    first = snap["metrics"]["train_loss"]
    status, _, snap = call(server, "POST", f"/api/sessions/{sid}/step", {"epochs": 1})
    assert status == 200 and snap["epoch"] == 1
    status, _, snap = call(server, "POST", f"/api/sessions/{sid}/step", {"epochs": 60, "since": 1})
    assert snap["epoch"] == 61
    assert snap["history"]["epoch"] == list(range(2, 62))  # only the new points
    assert snap["metrics"]["train_loss"] < 0.6 * first
    assert snap["metrics"]["test_acc"] > 0.85
    # a full snapshot holds the whole curve
    _, _, full = call(server, "GET", f"/api/sessions/{sid}?full=1")
    assert full["history"]["epoch"] == list(range(62)) and "data" in full


def test_play_pause_and_reset(server):
    sid = new_session(server)["id"]
    status, _, body = call(server, "POST", f"/api/sessions/{sid}/play", {"speed": 3})
    assert status == 200 and body == {"playing": True, "speed": 3}
    deadline = time.monotonic() + 10
    epoch = 0
    while epoch < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
        epoch = call(server, "GET", f"/api/sessions/{sid}")[2]["epoch"]
    assert epoch >= 10
    status, _, paused = call(server, "POST", f"/api/sessions/{sid}/pause", {})
    assert status == 200 and paused["playing"] is False
    time.sleep(0.2)
    assert call(server, "GET", f"/api/sessions/{sid}")[2]["epoch"] == paused["epoch"]
    assert paused["playing"] is False
    status, _, snap = call(server, "POST", f"/api/sessions/{sid}/reset")
    assert status == 200 and snap["epoch"] == 0 and snap["history"]["epoch"] == [0]


def test_a_new_config_is_a_new_experiment(server):
    sid = new_session(server)["id"]
    call(server, "POST", f"/api/sessions/{sid}/step", {"epochs": 5})
    config = {**DEFAULTS, "features": ["x1", "x2", "x1sq", "sin2"], "optimizer": "momentum"}
    status, _, snap = call(server, "POST", f"/api/sessions/{sid}/config", {"config": config})
    assert status == 200 and snap["epoch"] == 0
    assert snap["network"]["inputs"] == ["x₁", "x₂", "x₁²", "sin x₂"]
    assert snap["config"]["optimizer"] == "momentum"


BAD = [
    ({"n_points": 100_000}, "n_points"),
    ({"n_points": 19}, "n_points"),
    ({"n_points": 200.0}, "n_points"),
    ({"layers": [{"units": 9, "activation": "tanh"}]}, "units"),
    ({"layers": [{"units": 2, "activation": "tanh"}] * 7}, "layers"),
    ({"layers": [{"units": 2}]}, "hidden layer 1"),
    ({"layers": [{"units": 2, "activation": "swish"}]}, "activation"),
    ({"dataset": "mnist"}, "dataset"),
    ({"learning_rate": "0.1"}, "learning_rate"),
    ({"learning_rate": 0}, "learning_rate"),
    ({"seed": -1}, "seed"),
    ({"seed": True}, "seed"),
    ({"noise": 7}, "noise"),
    ({"test_ratio": 1.0}, "test_ratio"),
    ({"features": []}, "features"),
    ({"features": ["x1", "x1"]}, "repeat"),
    ({"features": ["x3"]}, "feature"),
    ({"batch_size": 0}, "batch_size"),
    ({"classes": 40}, "classes"),
    ({"loss": "hinge"}, "loss"),
    ({"optimizer": "lbfgs"}, "optimizer"),
    ({"regularization": "l3"}, "regularization"),
    ({"bogus": 1}, "unknown setting"),
]


@pytest.mark.parametrize("config, word", BAD, ids=[w for _, w in BAD])
def test_bad_configs_are_refused_with_a_message(server, config, word):
    status, _, body = call(server, "POST", "/api/sessions", {"config": config})
    assert status == 400 and word in body["error"]


def test_bad_requests_get_4xx_and_a_message(server):
    sid = new_session(server)["id"]
    cases = [
        (
            ("POST", "/api/sessions"),
            {"raw": b"{not json", "headers": {"Content-Type": "application/json"}},
            400,
        ),
        (
            ("POST", "/api/sessions"),
            {"raw": b"[1, 2]", "headers": {"Content-Type": "application/json"}},
            400,
        ),
        (
            ("POST", "/api/sessions"),
            {"raw": b'{"config": {"noise": NaN}}', "headers": {"Content-Type": "application/json"}},
            400,
        ),
        (
            ("POST", "/api/sessions"),
            {"raw": b'{"config": {}}', "headers": {"Content-Type": "text/plain"}},
            415,
        ),
        (("POST", "/api/sessions"), {"body": {"config": {"dataset": "x" * 70_000}}}, 413),
        (("GET", "/api/sessions/doesnotexist1"), {}, 404),
        (("GET", "/api/sessions/../../etc/passwd"), {}, 404),
        (("GET", "/nothing/here"), {}, 404),
        (("DELETE", "/api/schema"), {}, 405),
        (("POST", "/"), {}, 405),
        (("GET", f"/api/sessions/{sid}/step"), {}, 405),
        (("POST", f"/api/sessions/{sid}/fly"), {"body": {}}, 404),
        (("GET", f"/api/sessions/{sid}?since=abc"), {}, 400),
        (("GET", f"/api/sessions/{sid}?full=2"), {}, 400),
        (("POST", f"/api/sessions/{sid}/step"), {"body": {"epochs": 0}}, 400),
        (("POST", f"/api/sessions/{sid}/step"), {"body": {"epochs": 5000}}, 400),
        (("POST", f"/api/sessions/{sid}/step"), {"body": {"epochs": "3"}}, 400),
        (("POST", f"/api/sessions/{sid}/step"), {"body": {"epochs": 1, "lr": 3}}, 400),
        (("POST", f"/api/sessions/{sid}/play"), {"body": {"speed": 0}}, 400),
        (("POST", f"/api/sessions/{sid}/pause"), {"body": {"now": True}}, 400),
        (("POST", f"/api/sessions/{sid}/reset"), {"body": {"seed": 1}}, 400),
        (("POST", f"/api/sessions/{sid}/config"), {"body": {}}, 400),
        (("POST", f"/api/sessions/{sid}/config"), {"body": {"config": {"n_points": -3}}}, 400),
        (("GET", "/api/schema"), {"headers": {"Host": "evil.example:80"}}, 403),
    ]
    for (method, path), kwargs, expected in cases:
        status, _, body = call(server, method, path, **kwargs)
        assert status == expected, (method, path, kwargs, status, body)
        assert isinstance(body, dict) and body["error"], (method, path)
    # the session survived all of it
    assert call(server, "GET", f"/api/sessions/{sid}")[0] == 200


# ---------------------------------------------------------------- take away
def _train(server, epochs, **config):
    snap = new_session(server, **config)
    sid = snap["id"]
    call(server, "POST", f"/api/sessions/{sid}/step", {"epochs": epochs})
    return sid


def test_model_download_loads_and_predicts_like_the_playground(server, tmp_path):
    sid = _train(server, 40, dataset="circles", features=["x1", "x2", "x1sq", "x2sq"])
    status, headers, body = call(server, "GET", f"/api/sessions/{sid}/model.npz")
    assert status == 200 and "attachment" in headers["Content-Disposition"]
    path = tmp_path / "model.npz"
    path.write_bytes(body)
    model = nn.load(path)
    meta = model.metadata
    assert meta["epoch"] == 40 and meta["features"] == ["x1", "x2", "x1sq", "x2sq"]
    assert meta["feature_expressions"] == ["x1", "x2", "x1 * x1", "x2 * x2"]
    experiment = server.registry.get(sid).experiment
    for saved, live in zip(model.parameters(), experiment.model.parameters()):
        np.testing.assert_array_equal(saved, live)
    # the metadata is enough to use it: rebuild the data and predict
    replay = Experiment(validate(meta["playground"]))
    F_test = feature_matrix(replay.X_test, meta["features"])
    accuracy = np.mean(np.argmax(model.forward(F_test), axis=1) == replay.y_test)
    status, _, snap = call(server, "GET", f"/api/sessions/{sid}")
    assert accuracy == pytest.approx(snap["metrics"]["test_acc"], abs=1e-6)


SCRIPT_CASES = [
    {},
    {
        "dataset": "spirals",
        "classes": 4,
        "loss": "mse",
        "optimizer": "momentum",
        "learning_rate": 0.1,
        "regularization": "l1",
        "reg_rate": 0.001,
        "features": ["x1", "x2", "x1x2", "sin1"],
        "batch_size": 8,
    },
    {
        "dataset": "xor",
        "loss": "binary_cross_entropy",
        "optimizer": "sgd",
        "learning_rate": 0.3,
        "regularization": "l2",
        "reg_rate": 0.01,
        "batch_size": 2000,
        "layers": [{"units": 4, "activation": "sigmoid"}, {"units": 3, "activation": "leaky_relu"}],
    },
    {
        "dataset": "gaussian",
        "n_points": 203,
        "loss": "binary_cross_entropy",
        "optimizer": "rmsprop",
        "layers": [],
        "learning_rate": 0.01,
    },
    {
        "dataset": "quadrants",
        "optimizer": "nesterov",
        "learning_rate": 0.1,
        "layers": [{"units": 3, "activation": "identity"}],
    },
]


@pytest.mark.parametrize("config", SCRIPT_CASES, ids=lambda c: c.get("dataset", "default"))
def test_generated_script_reproduces_the_run_bit_for_bit(server, tmp_path, monkeypatch, config):
    sid = _train(server, 23, **config)
    status, headers, script = call(server, "GET", f"/api/sessions/{sid}/script.py")
    assert status == 200 and headers["Content-Type"].startswith("text/x-python")
    path = tmp_path / "run.py"
    path.write_bytes(script)
    monkeypatch.chdir(tmp_path)
    with contextlib.redirect_stdout(io.StringIO()) as out:
        namespace = runpy.run_path(str(path), run_name="__main__")
    assert namespace["EPOCHS"] == 23
    live = server.registry.get(sid).experiment
    for mine, theirs in zip(namespace["model"].parameters(), live.model.parameters()):
        np.testing.assert_array_equal(mine, theirs)
    _, _, snap = call(server, "GET", f"/api/sessions/{sid}")
    printed = out.getvalue()
    assert f"test: loss {snap['metrics']['test_loss']:.6f}" in printed


def test_generated_script_runs_as_a_program(server, tmp_path):
    sid = _train(server, 3)
    script = call(server, "GET", f"/api/sessions/{sid}/script.py")[2]
    (tmp_path / "run.py").write_bytes(script)
    done = subprocess.run(
        [sys.executable, "run.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "train: loss" in done.stdout and "test: loss" in done.stdout


# ---------------------------------------------------------------- robustness
def test_a_stalled_client_does_not_stall_others(server):
    host, port = server.server_address[:2]
    stalled = []
    for _ in range(3):
        s = socket.create_connection((host, port))
        s.sendall(
            b"POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b'Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{"conf'
        )
        stalled.append(s)
    silent = socket.create_connection((host, port))  # connects, says nothing
    try:
        for _ in range(10):
            t0 = time.monotonic()
            assert call(server, "GET", "/api/schema", timeout=3)[0] == 200
            assert time.monotonic() - t0 < 1.0
    finally:
        for s in [*stalled, silent]:
            s.close()


def test_many_playing_sessions_keep_answering_fast():
    with running() as srv:
        ids = [new_session(srv, n_points=400, batch_size=8)["id"] for _ in range(8)]
        for sid in ids:
            assert call(srv, "POST", f"/api/sessions/{sid}/play", {"speed": 200})[0] == 200
        try:
            worst = 0.0
            for _ in range(3):
                for sid in ids:
                    t0 = time.monotonic()
                    status, _, snap = call(srv, "GET", f"/api/sessions/{sid}?since=1000000")
                    worst = max(worst, time.monotonic() - t0)
                    assert status == 200
            assert worst < 1.5, f"a snapshot took {worst:.2f} s while 8 sessions trained"
            assert all(call(srv, "GET", f"/api/sessions/{sid}")[2]["epoch"] > 0 for sid in ids)
        finally:
            for sid in ids:
                call(srv, "POST", f"/api/sessions/{sid}/pause", {})


def test_too_many_playing_sessions_get_429():
    with running(max_playing=1) as srv:
        a, b = new_session(srv)["id"], new_session(srv)["id"]
        assert call(srv, "POST", f"/api/sessions/{a}/play", {"speed": 1})[0] == 200
        status, _, body = call(srv, "POST", f"/api/sessions/{b}/play", {"speed": 1})
        assert status == 429 and "training already" in body["error"]
        call(srv, "POST", f"/api/sessions/{a}/pause", {})


def test_unwatched_sessions_pause_and_old_ones_are_dropped():
    with running(idle_pause=0.3, max_sessions=2) as srv:
        first = new_session(srv)["id"]
        assert call(srv, "POST", f"/api/sessions/{first}/play", {"speed": 1})[0] == 200
        time.sleep(0.9)  # nobody polls
        assert srv.registry.get(first).playing is False
        new_session(srv)
        new_session(srv)
        status, _, body = call(srv, "GET", f"/api/sessions/{first}")
        assert status == 404 and "reload" in body["error"]


def test_divergence_stops_training_with_a_message(server):
    config = {
        "loss": "mse",
        "optimizer": "sgd",
        "learning_rate": 10.0,
        "batch_size": 2000,
        "layers": [{"units": 8, "activation": "identity"}] * 3,
    }
    sid = _train(server, 30, **config)
    _, _, snap = call(server, "GET", f"/api/sessions/{sid}")
    assert snap["status"] == "diverged" and "smaller learning rate" in snap["message"]
    assert all(v is None or np.isfinite(v) for v in snap["history"]["train_loss"])
    status, _, body = call(server, "POST", f"/api/sessions/{sid}/play", {})
    assert status == 409
    # the model holds the weights after the last whole epoch, and the script says so
    assert snap["epoch"] == 3 and "after epoch 3" in snap["message"]
    script = call(server, "GET", f"/api/sessions/{sid}/script.py")[2].decode()
    assert "EPOCHS = 3" in script
    namespace = {}
    with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
        exec(compile(script, "run.py", "exec"), namespace)  # its evaluation overflows
    live = server.registry.get(sid).experiment.model
    for mine, theirs in zip(namespace["model"].parameters(), live.parameters()):
        np.testing.assert_array_equal(mine, theirs)


# ---------------------------------------------------------------- the command
def test_command_line_starts_on_loopback_and_serves():
    import argparse

    from nnscratch.playground.cli import add_playground_parser

    parser = argparse.ArgumentParser()
    add_playground_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["playground"])
    assert (args.host, args.port, args.open) == ("127.0.0.1", 8000, False) and callable(args.run)

    proc = subprocess.Popen(
        [sys.executable, "-m", "nnscratch.playground", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("nnscratch playground at http://127.0.0.1:"), line
        url = line.split()[3]
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/")
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()


def test_generated_scripts_are_lint_clean(tmp_path):
    """The script is code to read: ruff finds nothing to fix in it, nor to reformat."""
    pytest.importorskip("ruff")
    paths = []
    for i, config in enumerate(SCRIPT_CASES):
        experiment = Experiment(validate(config))
        experiment.train(1)
        path = tmp_path / f"run{i}.py"
        path.write_text(experiment.script(), encoding="utf-8")
        paths.append(str(path))
    for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *command, *paths], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_every_input_feature_has_a_function():
    from nnscratch.playground import engine
    from nnscratch.playground.config import FEATURES

    assert set(engine._FEATURE_FUNCTIONS) == set(FEATURES)
    # and the generated script's expression of each computes what the engine computes
    x1, x2 = np.random.default_rng(0).normal(size=(2, 50))
    for name, (_, expression) in FEATURES.items():
        scripted = eval(expression, {"np": np, "x1": x1, "x2": x2})  # our own constant strings
        np.testing.assert_array_equal(scripted, engine._FEATURE_FUNCTIONS[name](x1, x2), name)
