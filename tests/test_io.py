"""Model files: round trips, atomic writes, and refusal of anything damaged or foreign."""

import json
import os
import pickle
import zipfile

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.io import META_KEY


@pytest.fixture
def trained():
    rng = np.random.RandomState(0)
    X = rng.randn(50, 3)
    y = (X[:, 0] > 0).astype(int)
    model = nn.Sequential(
        nn.Dense(3, 6, l2=0.01, rng=0),
        nn.LeakyReLU(0.05),
        nn.Dropout(0.2, rng=0),
        nn.Dense(6, 4, rng=0),
        nn.Sigmoid(),
        nn.Dense(4, 2, rng=0),
    )
    nn.fit(model, nn.SoftmaxCrossEntropy(), nn.SGD(0.1), X, y, epochs=5)
    return model, X


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_round_trip_is_bit_identical(tmp_path, dtype):
    rng = np.random.RandomState(0)
    X = rng.randn(20, 3)
    model = nn.build_mlp(3, [5, 4], 3, activation=["tanh", "relu"], l2=0.1, rng=0, dtype=dtype)
    nn.fit(model, nn.SoftmaxCrossEntropy(), nn.Adam(0.01), X, rng.randint(0, 3, 20), epochs=3)
    path = nn.save(model, tmp_path / "m.npz", metadata={"data": "random"})
    loaded = nn.load(path)
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.predict_proba(X).dtype == dtype
    assert repr(loaded) == repr(model)
    assert loaded.metadata == {"data": "random"}
    assert [type(l).__name__ for l in loaded.layers] == [type(l).__name__ for l in model.layers]


def test_every_layer_and_loss_round_trips(tmp_path, trained):
    model, X = trained
    for loss in (
        nn.SoftmaxCrossEntropy("sum"),
        nn.CrossEntropy(),
        nn.MSE(),
        nn.SigmoidBinaryCrossEntropy(),
    ):
        model.loss = loss
        loaded = nn.load(nn.save(model, tmp_path / "m.npz"))
        assert type(loaded.loss) is type(loss) and loaded.loss.reduction == loss.reduction
        assert np.array_equal(loaded.decision_function(X), model.decision_function(X))
    assert loaded.layers[1].slope == 0.05 and loaded.layers[2].rate == 0.2


def test_loading_draws_no_global_random_numbers(tmp_path, trained):
    model, _ = trained
    path = nn.save(model, tmp_path / "m.npz")
    state = np.random.get_state()[1].copy()
    nn.load(path)
    assert np.array_equal(np.random.get_state()[1], state)


def test_save_replaces_atomically_and_leaves_no_temporary_files(tmp_path, trained):
    model, X = trained
    path = tmp_path / "m.npz"
    path.write_bytes(b"old contents")
    nn.save(model, path)
    assert np.array_equal(nn.load(path).predict_proba(X), model.predict_proba(X))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_a_failed_save_keeps_the_old_file(tmp_path, trained, monkeypatch):
    model, X = trained
    path = nn.save(model, tmp_path / "m.npz")
    before = path.read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", explode)
    with pytest.raises(OSError, match="disk full"):
        nn.save(model, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_save_refuses_non_finite_weights(tmp_path, trained):
    model, _ = trained
    model.layers[0].params["W"][0, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        nn.save(model, tmp_path / "m.npz")


def rewrite(path, mutate):
    """Re-pack an archive after changing its entries (a crafted file)."""
    with np.load(path) as archive:
        entries = {k: archive[k] for k in archive.files}
    mutate(entries)
    with open(path, "wb") as f:
        np.savez(f, **entries)


def set_meta(entries, **changes):
    meta = json.loads(entries[META_KEY].tobytes())
    meta.update(changes)
    entries[META_KEY] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)


@pytest.mark.parametrize(
    "damage, match",
    [
        (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "truncated, damaged"),
        (lambda p: p.write_bytes(b""), "truncated, damaged"),
        (lambda p: p.write_text("W,b\n1,2\n"), "truncated, damaged"),
        (lambda p: p.write_bytes(pickle.dumps({"W": np.ones(3)})), "truncated, damaged"),
        (lambda p: np.save(open(p, "wb"), np.ones(3)), "single .npy"),
        (lambda p: rewrite(p, lambda e: e.pop(META_KEY)), "no '__nnscratch__' entry"),
        (lambda p: rewrite(p, lambda e: set_meta(e, format="other")), "format"),
        (
            lambda p: rewrite(p, lambda e: set_meta(e, format_version=99)),
            "newer than this nnscratch",
        ),
        (
            lambda p: rewrite(
                p, lambda e: set_meta(e, layers=[{"type": "os.system", "config": {}}])
            ),
            "unknown type",
        ),
        (lambda p: rewrite(p, lambda e: e.update({"0.W": np.ones((2, 2))})), "weights have shape"),
        (lambda p: rewrite(p, lambda e: e.update({"0.b": np.ones(6, dtype=np.float32)})), "dtype"),
        (lambda p: rewrite(p, lambda e: e.update({"0.b": np.full(6, np.nan)})), "NaN"),
        (
            lambda p: rewrite(
                p, lambda e: e.update({META_KEY: np.frombuffer(b"{not json", dtype=np.uint8)})
            ),
            "JSON",
        ),
        (
            lambda p: rewrite(p, lambda e: e.update({"0.b": np.array([object()] * 6)})),
            "holds Python objects.*never unpickles",
        ),
    ],
)
def test_damaged_or_foreign_files_are_refused(tmp_path, trained, damage, match):
    model, _ = trained
    path = nn.save(model, tmp_path / "m.npz")
    damage(path)
    with pytest.raises(nn.ModelFileError, match=match):
        nn.load(path)


def test_a_flipped_bit_is_caught_by_the_checksum(tmp_path, trained):
    model, _ = trained
    path = nn.save(model, tmp_path / "m.npz")
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("0.W.npy")
    data = bytearray(path.read_bytes())
    data[info.header_offset + 30 + len(info.filename) + info.file_size - 3] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(nn.ModelFileError, match="CRC|damaged"):
        nn.load(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nothing.npz")
    with pytest.raises(ValueError, match="folder"):
        nn.load(tmp_path)


def test_no_pickle_anywhere():
    source = open(os.path.join(os.path.dirname(nn.__file__), "io.py")).read()
    assert "allow_pickle=False" in source and "pickle.load" not in source
