"""The playground's web server: one page and a small JSON API, standard library only.

Requests are short. ``ThreadingHTTPServer`` gives every connection its own
thread, sockets time out (a client that stalls mid-request is dropped), and
each experiment ("session") has its own lock, held only for a training tick
(at most ``TICK_BUDGET`` seconds) or a snapshot (a few milliseconds). Training
runs in one thread per playing session, tick after tick; the page polls for
snapshots. So a slow client or many open pages do not stall the others.

API (JSON in, JSON out; every error is a 4xx with ``{"error": message}``)::

    GET  /                                the page
    GET  /api/schema                      options, limits and defaults of the controls
    POST /api/sessions                    {"config": {...}} -> 201, new session + snapshot
    GET  /api/sessions/ID?since=E&full=1  snapshot (curve points after epoch E)
    POST /api/sessions/ID/config          {"config": {...}}: a new experiment (training restarts)
    POST /api/sessions/ID/play            {"speed": epochs per tick}
    POST /api/sessions/ID/pause           {"since": E}: stop, return the final snapshot
    POST /api/sessions/ID/reset           the same experiment from its first weights
    POST /api/sessions/ID/step            {"epochs": n}: train n epochs now, return a snapshot
    GET  /api/sessions/ID/model.npz       the trained model (``nnscratch.load`` reads it)
    GET  /api/sessions/ID/script.py       a script that reproduces the run with the library
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import sys
import threading
import time
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlsplit

from .config import MAX_BODY, ConfigError, schema, validate
from .engine import Experiment

TICK_BUDGET = 0.04  # seconds of training per tick, under the session's lock
TICK_PERIOD = 0.05  # a playing session starts a tick at most this often
SPEED_LIMITS = (1, 500)  # epochs per tick
STEP_LIMITS = (1, 1000)  # epochs per "step" request
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,32}$")


class HTTPError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# ---------------------------------------------------------------- sessions
def build(config: dict) -> Experiment:
    """The experiment of a validated config; what the library still refuses is a 400."""
    try:
        return Experiment(config)
    except (ValueError, TypeError) as exc:
        raise HTTPError(400, f"this experiment cannot be built: {exc}") from None


class Session:
    """One experiment, its lock and, while playing, its training thread."""

    def __init__(
        self, session_id: str, config: dict, idle_pause: float, slot: threading.Semaphore
    ) -> None:
        self.id = session_id
        self.slot = slot  # shared by all sessions: one training tick at a time
        self.lock = threading.Lock()
        self.experiment = build(config)
        self.playing = False
        self.speed = 5
        self.idle_pause = idle_pause
        self.last_seen = time.monotonic()
        self.closed = False
        self._thread: threading.Thread | None = None

    def touch(self) -> None:
        self.last_seen = time.monotonic()

    def play(self, speed: int) -> None:
        with self.lock:
            self.speed = speed
            if self.experiment.status != "ready":
                raise HTTPError(409, self.experiment.message or "this experiment cannot train")
            self.playing = True
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"playground-{self.id}", daemon=True
                )
                self._thread.start()

    def pause(self) -> None:
        with self.lock:
            self.playing = False

    def close(self) -> None:
        with self.lock:
            self.playing = False
            self.closed = True

    def _run(self) -> None:
        while True:
            started = time.monotonic()
            with self.slot, self.lock:
                if started - self.last_seen > self.idle_pause:
                    self.playing = False  # nobody is watching: stop spending CPU
                if not self.playing or self.closed:
                    self._thread = None
                    return
                self.experiment.train(self.speed, time_budget=TICK_BUDGET)
                if self.experiment.status != "ready":
                    self.playing = False
            # outside the lock: let handlers and other sessions in
            time.sleep(max(0.005, TICK_PERIOD - (time.monotonic() - started)))

    def replace(self, config: dict) -> None:
        experiment = build(config)  # built outside the lock: the old one keeps serving
        with self.lock:
            self.experiment = experiment  # a playing session goes on playing the new one

    def snapshot(self, since: int = -1, full: bool = False) -> dict:
        with self.lock:
            out = self.experiment.snapshot(since=since, full=full)
            out["playing"] = self.playing
            out["speed"] = self.speed
        out["id"] = self.id
        return out


class Registry:
    """Sessions by id; the least recently used are closed when there are too many."""

    def __init__(
        self, max_sessions: int = 64, idle_pause: float = 60.0, max_playing: int = 16
    ) -> None:
        self.max_sessions = max_sessions
        self.max_playing = max_playing
        self.idle_pause = idle_pause
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()
        # Training ticks take turns: tiny NumPy steps hold the GIL, so parallel ticks gain
        # nothing and would only make request handlers wait longer for it.
        self._slot = threading.Semaphore(1)

    def create(self, config: dict) -> Session:
        session = Session(secrets.token_urlsafe(12), config, self.idle_pause, self._slot)
        with self._lock:
            self._sessions[session.id] = session
            while len(self._sessions) > self.max_sessions:
                _, old = self._sessions.popitem(last=False)
                old.close()
        return session

    def get(self, session_id: str) -> Session:
        with self._lock:
            session = self._sessions.get(session_id) if SESSION_ID.match(session_id) else None
            if session is None:
                raise HTTPError(
                    404, f"no experiment {session_id!r} (the server may have restarted); reload"
                )
            self._sessions.move_to_end(session_id)
        session.touch()
        return session

    def n_playing(self) -> int:
        with self._lock:
            return sum(s.playing for s in self._sessions.values())

    def close_all(self) -> None:
        with self._lock:
            for session in self._sessions.values():
                session.close()


# ---------------------------------------------------------------- HTTP
def _page() -> bytes:
    return resources.files("nnscratch.playground").joinpath("static/index.html").read_bytes()


class Handler(BaseHTTPRequestHandler):
    server: PlaygroundServer
    timeout = 15  # seconds a client may stall before its connection is dropped
    server_version = "nnscratch-playground"
    protocol_version = "HTTP/1.0"

    # -- plumbing
    def log_message(self, format, *args) -> None:
        if self.server.verbose:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def _send(self, status: int, body: bytes, content_type: str, headers=None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data) -> None:
        body = json.dumps(data, separators=(",", ":"), allow_nan=False).encode("utf-8")
        self._send(status, body, "application/json")

    def _body(self) -> dict:
        if self.headers.get("Transfer-Encoding"):
            raise HTTPError(411, "send the body with a Content-Length, not chunked")
        length = self.headers.get("Content-Length", "0")
        if not length.isdigit():
            raise HTTPError(400, f"bad Content-Length {length!r}")
        length = int(length)
        if length > MAX_BODY:
            raise HTTPError(413, f"the request body is {length} bytes; the limit is {MAX_BODY}")
        if length == 0:
            return {}
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise HTTPError(415, "send the body as JSON (Content-Type: application/json)")
        raw = self.rfile.read(length)
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HTTPError(400, f"the body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise HTTPError(400, "the body must be a JSON object")
        return data

    def _check_host(self) -> None:
        """Refuse other host names on a loopback server (DNS rebinding)."""
        if not self.server.loopback:
            return
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower()
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise HTTPError(403, f"this server answers only to localhost, not to {host!r}")

    def _dispatch(self, method: str) -> None:
        try:
            try:
                self._check_host()
                url = urlsplit(self.path)
                try:
                    query = parse_qs(url.query, strict_parsing=False, max_num_fields=10)
                except ValueError as exc:
                    raise HTTPError(400, f"bad query string: {exc}") from None
                parts = [p for p in url.path.split("/") if p]
                self._route(method, parts, query)
            except HTTPError as exc:
                self._json(exc.status, {"error": exc.message})
            except ConfigError as exc:
                self._json(400, {"error": str(exc)})
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                raise
            except Exception as exc:  # a bug: say so, keep serving
                self.log_error("internal error: %r", exc)
                self._json(500, {"error": f"internal error: {type(exc).__name__}: {exc}"})
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the client went away, even before its error reply: nothing to answer

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # -- routes
    def _route(self, method: str, parts: list[str], query: dict) -> None:
        def allow(*methods):
            if method not in methods:
                raise HTTPError(405, f"{method} is not allowed here; use {' or '.join(methods)}")

        if not parts or parts == ["index.html"]:
            allow("GET")
            return self._send(200, self.server.page, "text/html; charset=utf-8")
        if parts == ["favicon.ico"]:
            return self._send(204, b"", "image/x-icon")
        if parts[0] != "api":
            raise HTTPError(404, f"nothing at {'/' + '/'.join(parts)}")
        if parts == ["api", "schema"]:
            allow("GET")
            return self._json(200, schema())
        if parts == ["api", "sessions"]:
            allow("POST")
            config = validate(self._body().get("config", {}))
            session = self.server.registry.create(config)
            return self._json(201, session.snapshot(full=True))
        if len(parts) < 3 or parts[1] != "sessions" or len(parts) > 4:
            raise HTTPError(404, f"nothing at {'/' + '/'.join(parts)}")
        session = self.server.registry.get(parts[2])
        action = parts[3] if len(parts) == 4 else None

        if action is None:
            allow("GET")
            since = _int_param(query, "since", -1, -1, 10**9)
            full = _int_param(query, "full", 0, 0, 1)
            return self._json(200, session.snapshot(since=since, full=bool(full)))
        if action == "model.npz":
            allow("GET")
            with session.lock:
                body = session.experiment.model_bytes()
                name = _file_name(session.experiment, "npz")
            return self._send(200, body, "application/octet-stream", _attachment(name))
        if action == "script.py":
            allow("GET")
            with session.lock:
                body = session.experiment.script().encode("utf-8")
                name = _file_name(session.experiment, "py")
            return self._send(200, body, "text/x-python; charset=utf-8", _attachment(name))

        allow("POST")
        body = self._body()
        if action == "config":
            _only(body, "config")
            if "config" not in body:
                raise HTTPError(400, 'send {"config": {...}}')
            session.replace(validate(body["config"]))
            return self._json(200, session.snapshot(full=True))
        if action == "reset":
            _only(body)
            with session.lock:
                config = session.experiment.config
            session.replace(config)
            return self._json(200, session.snapshot(full=True))
        if action == "play":
            _only(body, "speed")
            speed = _int_field(body, "speed", session.speed, *SPEED_LIMITS)
            if (
                not session.playing
                and self.server.registry.n_playing() >= self.server.registry.max_playing
            ):
                raise HTTPError(
                    429,
                    f"{self.server.registry.max_playing} experiments are training already; "
                    "pause one or try again later",
                )
            session.play(speed)
            return self._json(200, {"playing": True, "speed": speed})
        if action == "pause":
            _only(body, "since")
            since = _int_field(body, "since", -1, -1, 10**9)
            session.pause()  # waits for a running tick: the snapshot is final
            return self._json(200, session.snapshot(since=since))
        if action == "step":
            _only(body, "epochs", "since")
            epochs = _int_field(body, "epochs", 1, *STEP_LIMITS)
            since = _int_field(body, "since", -1, -1, 10**9)
            with session.slot, session.lock:
                session.experiment.train(epochs, time_budget=1.0)
            return self._json(200, session.snapshot(since=since))
        raise HTTPError(404, f"unknown action {action!r}")


def _int_param(query: dict, name: str, default: int, low: int, high: int) -> int:
    values = query.get(name)
    if not values:
        return default
    value = values[-1]
    if not re.fullmatch(r"-?\d{1,12}", value) or not low <= int(value) <= high:
        raise HTTPError(400, f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return int(value)


def _only(body: dict, *names: str) -> None:
    unknown = set(body) - set(names)
    if unknown:
        raise HTTPError(
            400,
            f"unknown field(s) {', '.join(sorted(map(repr, unknown)))}; this action takes "
            + (", ".join(names) if names else "no fields"),
        )


def _int_field(body: dict, name: str, default: int, low: int, high: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise HTTPError(400, f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return value


def _file_name(experiment: Experiment, extension: str) -> str:
    return f"playground-{experiment.config['dataset']}-epoch{experiment.epoch}.{extension}"


def _attachment(name: str) -> dict:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


class PlaygroundServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, *, registry: Registry | None = None, verbose: bool = False):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)
        self.registry = registry or Registry()
        self.verbose = verbose
        self.page = _page()
        host = self.server_address[0]
        self.loopback = host in ("127.0.0.1", "::1", "localhost") or host.startswith("127.")

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def server_close(self) -> None:
        self.registry.close_all()
        super().server_close()


def make_server(host: str = "127.0.0.1", port: int = 8000, **options) -> PlaygroundServer:
    """A ready server (port 0: any free port; see ``.url``); call ``serve_forever()``."""
    return PlaygroundServer((host, port), **options)
