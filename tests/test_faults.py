"""Faults: a process killed mid-save, damaged and crafted model files, old files, the CLI.

What nnscratch promises (docs/promises.md, "Files"):

* killing the process while a model file is written leaves the old file
  intact and loadable (the new one is written aside, then renamed);
* a truncated, bit-flipped, renamed or crafted file is refused with a
  ``ModelFileError`` that says why, and no code in it runs (never unpickled);
* a file written by an older format version loads: tests/data/model_format1.npz
  was written by nnscratch 0.1.0 and is never rewritten;
* on the command line every bad file is one line on stderr and exit status 1.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import cli
from nnscratch.io import META_KEY

DATA = Path(__file__).parent / "data"


@pytest.fixture
def model():
    return nn.build_mlp(3, [5], 2, activation="tanh", rng=0, loss=nn.SoftmaxCrossEntropy())


X = np.random.RandomState(0).randn(7, 3)


def same_model(loaded, model):
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert repr(loaded) == repr(model)


# ---------------------------------------------------------------- killed while saving

CHILD = r"""
import io, os, sys, time
import numpy as np
import nnscratch as nn

path, where = sys.argv[1], sys.argv[2]
model = nn.build_mlp(3, [64, 64], 2, rng=1, loss=nn.SoftmaxCrossEntropy())


def pause(message):
    print(message, flush=True)
    time.sleep(120)  # the parent kills us here


if where == "mid-write":
    real_savez = np.savez

    def slow_savez(f, **arrays):
        buffer = io.BytesIO()
        real_savez(buffer, **arrays)
        data = buffer.getvalue()
        f.write(data[: len(data) // 2])
        f.flush()
        os.fsync(f.fileno())
        pause("half written")
        f.write(data[len(data) // 2 :])

    np.savez = slow_savez
else:
    real_replace = os.replace

    def slow_replace(source, target):
        pause("written, not yet renamed")
        real_replace(source, target)

    os.replace = slow_replace
nn.save(model, path)
print("saved", flush=True)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("where", ["mid-write", "before-rename"])
def test_a_process_killed_while_saving_leaves_the_old_file_intact(tmp_path, model, where):
    path = nn.save(model, tmp_path / "model.npz")
    before = path.read_bytes()
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen(
        [sys.executable, str(script), str(path), where],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(60, child.kill)  # never hang the suite
    watchdog.start()
    try:
        line = child.stdout.readline().strip()
        assert line in ("half written", "written, not yet renamed"), child.stderr.read()
        stray = [p for p in tmp_path.iterdir() if p.name.startswith(".model.npz.")]
        assert len(stray) == 1 and stray[0].stat().st_size > 0  # the new file, aside
        os.kill(child.pid, signal.SIGKILL)  # no cleanup code can run
        child.wait(timeout=30)
    finally:
        watchdog.cancel()
        child.kill()
        child.wait()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    same_model(nn.load(path), model)
    if where == "mid-write":
        with pytest.raises(nn.ModelFileError, match="truncated, damaged"):
            nn.load(stray[0])
    # the stray temporary file does not disturb the next save
    other = nn.build_mlp(3, [2], 2, rng=5, loss=nn.MSE())
    same_model(nn.load(nn.save(other, path)), other)


def test_saved_files_get_the_usual_permissions(tmp_path, model):
    old = os.umask(0o022)
    try:
        path = nn.save(model, tmp_path / "m.npz")
    finally:
        os.umask(old)
    if os.name == "posix":
        assert path.stat().st_mode & 0o777 == 0o644  # not 0o600, as tempfile would give


# ---------------------------------------------------------------- a pickle payload


class Payload:
    """Unpickling this runs ``os.mkdir(marker)``: the proof that code in a file ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def entries_of(path) -> dict:
    with np.load(path) as archive:
        return {name: archive[name] for name in archive.files}


def write_npz(path, entries: dict) -> Path:
    with open(path, "wb") as f:
        np.savez(f, **entries)  # np.savez pickles object arrays: the attacker's tool
    return path


PAYLOAD_FILES = {
    "an object array as weights": lambda p, m, marker: write_npz(
        p, {**entries_of(m), "0.W": np.array([Payload(marker)], dtype=object)}
    ),
    "an object array as the description": lambda p, m, marker: write_npz(
        p, {**entries_of(m), META_KEY: np.array([Payload(marker)], dtype=object)}
    ),
    "a pickle renamed .npz": lambda p, m, marker: p.write_bytes(pickle.dumps(Payload(marker))),
    "an object .npy renamed .npz": lambda p, m, marker: p.write_bytes(
        npy_bytes(np.array([Payload(marker)], dtype=object))
    ),
}


def test_the_pickle_payload_is_live(tmp_path, model):
    """Make sure the test below means something: unpickled, the payload does run."""
    marker = tmp_path / "ran"
    path = PAYLOAD_FILES["an object array as weights"](
        tmp_path / "evil.npz", nn.save(model, tmp_path / "m.npz"), marker
    )
    np.load(path, allow_pickle=True)["0.W"]
    assert marker.exists()


@pytest.mark.parametrize("name", sorted(PAYLOAD_FILES))
def test_a_pickle_payload_is_refused_and_never_runs(tmp_path, model, capsys, name):
    marker = tmp_path / "code-ran"
    good = nn.save(model, tmp_path / "m.npz")
    path = tmp_path / "evil.npz"
    PAYLOAD_FILES[name](path, good, marker)
    for read in (nn.load, nn.io.read_description):
        with pytest.raises(nn.ModelFileError, match="not a usable nnscratch model"):
            read(path)
    for argv in (["info", path], ["predict", path, "-"]):
        assert cli.main([str(a) for a in argv]) == 1
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not marker.exists()


# ---------------------------------------------------------------- foreign and crafted files


def zip_of(path, members: dict) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def npy_bytes(array=None, header=None, data=b"") -> bytes:
    buffer = io.BytesIO()
    if header is None:
        np.save(buffer, array)
        return buffer.getvalue()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + data


def with_meta(good, **changes):
    entries = entries_of(good)
    meta = json.loads(entries[META_KEY].tobytes())
    meta.update(changes)
    entries[META_KEY] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    return entries


def minimal_meta(good):
    entries = entries_of(good)
    meta = json.loads(entries[META_KEY].tobytes())
    keep = {k: meta[k] for k in ("format", "format_version", "layers")}
    entries[META_KEY] = np.frombuffer(json.dumps(keep).encode(), dtype=np.uint8)
    return entries


HUGE = {"descr": "<f8", "fortran_order": False, "shape": (10**7, 10**6)}

CRAFTED = {
    # name: (make(path, good_file) -> path, part of the message)
    "a .docx renamed": (
        lambda p, g: zip_of(p, {"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>"}),
        r"'\[Content_Types\].xml' is not a NumPy array",
    ),
    "an .npz of other arrays": (
        lambda p, g: write_npz(p, {"weights": np.ones((3, 5)), "bias": np.zeros(5)}),
        "no '__nnscratch__' entry",
    ),
    "a zip of a CSV": (lambda p, g: zip_of(p, {"data.csv": "a,b\n1,2\n"}), "not a NumPy array"),
    "a PNG": (lambda p, g: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64)), "truncated, damaged"),
    "gzip": (lambda p, g: p.write_bytes(b"\x1f\x8b\x08\x00" + bytes(40)), "truncated, damaged"),
    "JSON text": (lambda p, g: p.write_text('{"layers": []}'), "truncated, damaged"),
    "an empty file": (lambda p, g: p.write_bytes(b""), "truncated, damaged"),
    "a declared shape of 80 TB": (
        lambda p, g: zip_of(
            p,
            {
                **{f"{k}.npy": npy_bytes(v) for k, v in entries_of(g).items()},
                "0.W.npy": npy_bytes(header=HUGE, data=bytes(96)),
            },
        ),
        r"declares shape \(10000000, 1000000\)",
    ),
    "weights of the wrong shape": (
        lambda p, g: write_npz(p, {**entries_of(g), "0.W": np.ones((5, 3))}),
        r"Dense\(3, 5\) but its weights have shape \(5, 3\)",
    ),
    "a bias of the wrong shape": (
        lambda p, g: write_npz(p, {**entries_of(g), "0.b": np.ones(4)}),
        r"0.b has shape \(4,\), expected \(5,\)",
    ),
    "a missing array": (
        lambda p, g: write_npz(p, {k: v for k, v in entries_of(g).items() if k != "2.b"}),
        r"missing \['2.b'\]",
    ),
    "integer weights": (
        lambda p, g: write_npz(p, {**entries_of(g), "0.W": np.ones((3, 5), dtype=np.int64)}),
        "dtype int64, expected float64",
    ),
    "infinite weights": (
        lambda p, g: write_npz(p, {**entries_of(g), "2.W": np.full((5, 2), np.inf)}),
        "2.W contains NaN or infinite",
    ),
    "a future format version": (
        lambda p, g: write_npz(p, with_meta(g, format_version=2)),
        "format version 2, newer than this nnscratch.*upgrade nnscratch",
    ),
    "format version 0": (
        lambda p, g: write_npz(p, with_meta(g, format_version=0)),
        "format_version 0",
    ),
    "format version true": (
        lambda p, g: write_npz(p, with_meta(g, format_version=True)),
        "format_version True",
    ),
    "format version '1'": (
        lambda p, g: write_npz(p, with_meta(g, format_version="1")),
        "format_version '1'",
    ),
    "another format": (lambda p, g: write_npz(p, with_meta(g, format="keras")), "format"),
    "a description nested 100000 deep": (
        lambda p, g: write_npz(
            p, {**entries_of(g), META_KEY: np.frombuffer(b"[" * 100000, dtype=np.uint8)}
        ),
        "nested too deeply",
    ),
    "a description that is not UTF-8": (
        lambda p, g: write_npz(
            p, {**entries_of(g), META_KEY: np.frombuffer(b"\xff\xfe{}", np.uint8)}
        ),
        "not valid JSON",
    ),
    "metadata that is a list": (
        lambda p, g: write_npz(p, with_meta(g, metadata=[1, 2])),
        "metadata is a list",
    ),
    "no layers": (lambda p, g: write_npz(p, with_meta(g, layers=[])), "lists no layers"),
    "an unknown layer": (
        lambda p, g: write_npz(p, with_meta(g, layers=[{"type": "subprocess.Popen"}])),
        "unknown type 'subprocess.Popen'",
    ),
    "a layer config of the wrong type": (
        lambda p, g: write_npz(
            p,
            with_meta(
                g,
                layers=[
                    {"type": "Dense", "config": {"n_in": 3, "n_out": 5}},
                    {"type": "LeakyReLU", "config": {"slope": "steep"}},
                    {"type": "Dense", "config": {"n_in": 5, "n_out": 2}},
                ],
            ),
        ),
        r"layer 1 \(LeakyReLU\) has an invalid config",
    ),
    "an integer dtype": (
        lambda p, g: write_npz(p, with_meta(g, dtype="int8")),
        "float32 or np.float64",
    ),
    "an unknown loss": (
        lambda p, g: write_npz(p, with_meta(g, loss={"type": "eval", "config": {}})),
        "unknown loss type 'eval'",
    ),
    "an encrypted-flagged entry": (
        lambda p, g: p.write_bytes(_flag_encrypted(g.read_bytes())),
        "truncated, damaged",
    ),
}


def _flag_encrypted(data: bytes) -> bytes:
    """Set the 'encrypted' bit of every entry (zipfile then asks for a password)."""
    data = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset] |= 0x01
            start += 4
    return bytes(data)


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_foreign_and_crafted_files_are_refused_clearly(tmp_path, model, capsys, name):
    make, message = CRAFTED[name]
    path = tmp_path / "model.npz"
    make(path, nn.save(model, tmp_path / "good.npz"))
    with pytest.raises(nn.ModelFileError, match=message):
        nn.load(path)
    assert cli.main(["info", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert (
        len(err.splitlines()) == 1
        and err.startswith("nnscratch: error:")
        and "Traceback" not in err
    )


def test_every_truncation_is_refused(tmp_path, model):
    data = nn.save(model, tmp_path / "good.npz").read_bytes()
    path = tmp_path / "cut.npz"
    for length in range(0, len(data), 3):
        path.write_bytes(data[:length])
        with pytest.raises(nn.ModelFileError):
            nn.load(path)


def test_every_single_bit_flip_is_refused_or_harmless(tmp_path, model):
    """One flipped bit per byte, at every byte: a clear refusal, or the very same model."""
    data = nn.save(model, tmp_path / "good.npz").read_bytes()
    path = tmp_path / "flipped.npz"
    rng = np.random.RandomState(0)
    outcomes = {"refused": 0, "loads the same model": 0}
    for position in range(len(data)):
        damaged = bytearray(data)
        damaged[position] ^= 1 << rng.randint(8)
        path.write_bytes(bytes(damaged))
        try:
            loaded = nn.load(path)
        except nn.ModelFileError:
            outcomes["refused"] += 1
            continue
        same_model(loaded, model)  # a flip in a timestamp or a duplicate header field
        outcomes["loads the same model"] += 1
    # flips in the data, the names, the sizes and the checksums are refused (about 85%)
    assert outcomes["refused"] > 0.75 * len(data), outcomes


def test_a_recompressed_copy_still_loads(tmp_path, model):
    """Re-packed by another tool (deflate instead of stored): the same model."""
    path = tmp_path / "packed.npz"
    with open(path, "wb") as f:
        np.savez_compressed(f, **entries_of(nn.save(model, tmp_path / "m.npz")))
    same_model(nn.load(path), model)


# ---------------------------------------------------------------- older files


def test_a_file_written_by_nnscratch_0_1_0_still_loads_bit_for_bit():
    expected = json.loads((DATA / "model_format1.json").read_text())
    model = nn.load(DATA / "model_format1.npz")
    assert nn.io.read_description(DATA / "model_format1.npz")["format_version"] == 1
    assert repr(model) == expected["repr"]
    X_old = np.array(expected["X"])
    assert model.predict_proba(X_old).tolist() == expected["predict_proba"]
    assert model.metadata["written_by"].startswith("nnscratch 0.1.0")


def test_the_minimal_version_1_layout_loads_with_its_defaults(tmp_path, model):
    """Only format, format_version and layers: float64, no loss, no metadata."""
    path = write_npz(tmp_path / "minimal.npz", minimal_meta(nn.save(model, tmp_path / "m.npz")))
    loaded = nn.load(path)
    assert loaded.loss is None and loaded.metadata == {} and loaded.dtype == np.float64
    np.testing.assert_array_equal(loaded.decision_function(X), model.decision_function(X))


# ---------------------------------------------------------------- the command line


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (["train", "--seed", "99999999999999999999"], 2, "must be below 2**32"),
        (["train", "--output", ""], 2, "an empty name is not a folder"),
        (["train", "--output", " "], 2, "an empty name is not a folder"),
        (["compare", "--samples", "1"], 2, "must be at least 2"),
        (["demo", "--output", ""], 2, "an empty name"),
        (["sweep", "lr=0.1", "--noise", "nan"], 2, "not a finite number"),
        (["sweep", "lr=0.1", "--validation-split", "2"], 2, "must be < 1"),
        (["sweep", "lr=0.1", "--seed", "-3"], 2, "must be >= 0"),
        (["train", "--hidden", "99999999999", "--quiet"], 1, "not enough memory"),
        (["predict", "missing.npz", "-"], 1, "no model file"),
        (["info", "."], 1, "folder"),
    ],
)
def test_more_bad_arguments_are_one_line(tmp_path, monkeypatch, capsys, argv, code, message):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NNSCRATCH_TRACEBACK", raising=False)
    assert cli.main(argv) == code
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err and message in err
    assert [p.name for p in tmp_path.iterdir()] == []  # nothing written
