"""fit: batches, shuffling, validation, callbacks, divergence, Ctrl-C, dtypes."""

import io
import warnings

import numpy as np
import pytest

import nnscratch as nn


@pytest.fixture
def blobs():
    rng = np.random.RandomState(0)
    X = np.vstack(
        [rng.randn(60, 2) + [2, 2], rng.randn(60, 2) - [2, 2], rng.randn(60, 2) + [2, -2]]
    )
    y = np.repeat([0, 1, 2], 60)
    order = rng.permutation(len(X))
    return X[order], y[order]


def small_model(**kwargs):
    return nn.build_mlp(2, [8], 3, activation="tanh", rng=0, **kwargs)


def test_training_learns_and_logs_what_it_measured(blobs):
    X, y = blobs
    model = small_model()
    loss = nn.SoftmaxCrossEntropy()
    initial = nn.evaluate(model, loss, X, y)
    history = nn.fit(model, loss, nn.SGD(0.5), X, y, epochs=30)
    # full batch: epoch 0's logs are the initial model's loss and accuracy
    assert history["loss"][0] == pytest.approx(initial["loss"], rel=1e-14)
    assert history["accuracy"][0] == initial["accuracy"]
    assert history["loss"][-1] < 0.3 * history["loss"][0]
    assert nn.accuracy(y, model.predict(X)) > 0.9
    assert history.epoch == list(range(30)) and history.stop_reason is None


def test_full_batch_draws_no_random_numbers(blobs):
    X, y = blobs
    rng = np.random.RandomState(5)
    state = rng.get_state()[1].copy()
    nn.fit(small_model(), nn.SoftmaxCrossEntropy(), nn.SGD(0.1), X, y, epochs=3, rng=rng)
    assert np.array_equal(rng.get_state()[1], state)


def test_minibatches_are_reproducible_and_shuffled_by_rng(blobs):
    X, y = blobs
    runs = []
    for seed in (1, 1, 2):
        model = small_model()
        nn.fit(
            model, nn.SoftmaxCrossEntropy(), nn.SGD(0.1), X, y, epochs=3, batch_size=16, rng=seed
        )
        runs.append(model.state_dict()["0.W"])
    assert np.array_equal(runs[0], runs[1])
    assert not np.allclose(runs[0], runs[2])


def test_minibatch_epoch_loss_is_the_mean_of_batch_losses(blobs):
    X, y = blobs
    model = small_model()
    seen = []
    loss = nn.SoftmaxCrossEntropy()
    original = loss.compute

    def compute(output, target):
        value = original(output, target)
        seen.append((value, len(target)))
        return value

    loss.compute = compute
    history = nn.fit(model, loss, nn.SGD(0.1), X, y, epochs=1, batch_size=50, shuffle=False)
    assert [n for _, n in seen] == [50, 50, 50, 30]
    expected = sum(v * n for v, n in seen) / len(X)
    assert history["data_loss"][0] == pytest.approx(expected, rel=1e-14)


def test_validation_split_takes_the_last_fraction(blobs):
    X, y = blobs
    model = small_model()
    loss = nn.SoftmaxCrossEntropy()
    history = nn.fit(model, loss, nn.SGD(0.1), X, y, epochs=1, validation_split=0.25)
    after = nn.evaluate(model, loss, X[-45:], y[-45:])
    assert history["val_loss"][0] == pytest.approx(after["loss"], rel=1e-14)
    assert history["val_accuracy"][0] == after["accuracy"]


def test_validation_data_and_split_together_are_refused(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="not both"):
        nn.fit(
            small_model(),
            nn.SoftmaxCrossEntropy(),
            nn.SGD(0.1),
            X,
            y,
            validation_data=(X, y),
            validation_split=0.2,
        )


def test_early_stopping_patience_and_restore_best(blobs):
    X, y = blobs
    model = small_model()
    stopper = nn.EarlyStopping("val_loss", patience=2, restore_best_weights=True)
    # a step this large makes the validation loss bounce, so patience runs out
    history = nn.fit(
        model,
        nn.SoftmaxCrossEntropy(),
        nn.SGD(5.0),
        X,
        y,
        epochs=200,
        validation_data=(X[:40], y[:40]),
        callbacks=[stopper],
    )
    assert len(history) < 200 and "did not improve" in history.stop_reason
    assert stopper.best == min(history["val_loss"])
    best = nn.evaluate(model, nn.SoftmaxCrossEntropy(), X[:40], y[:40])["loss"]
    assert best == pytest.approx(stopper.best, rel=1e-12)


def test_early_stopping_threshold_stops_like_seed_002(blobs):
    X, y = blobs
    stopper = nn.EarlyStopping("loss", patience=None, threshold=0.2)
    history = nn.fit(
        small_model(), nn.SoftmaxCrossEntropy(), nn.SGD(0.5), X, y, epochs=5000, callbacks=[stopper]
    )
    assert history["loss"][-1] < 0.2 <= history["loss"][-2]
    assert "below threshold" in history.stop_reason


def test_early_stopping_on_a_missing_key_says_what_is_there(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="val_loss"):
        nn.fit(
            small_model(),
            nn.SoftmaxCrossEntropy(),
            nn.SGD(0.1),
            X,
            y,
            epochs=2,
            callbacks=[nn.EarlyStopping()],
        )


def test_logger_prints_every_k_epochs_and_the_last(blobs):
    X, y = blobs
    out = io.StringIO()
    nn.fit(
        small_model(),
        nn.SoftmaxCrossEntropy(),
        nn.SGD(0.1),
        X,
        y,
        epochs=7,
        callbacks=[nn.Logger(every=3, file=out)],
    )
    lines = out.getvalue().splitlines()
    assert [int(line.split()[1]) for line in lines] == [0, 3, 6]
    out = io.StringIO()
    nn.fit(
        small_model(l2=0.1),
        nn.SoftmaxCrossEntropy(),
        nn.SGD(0.1),
        X,
        y,
        epochs=5,
        callbacks=[nn.Logger(every=3, file=out)],
    )
    lines = out.getvalue().splitlines()
    assert [int(line.split()[1]) for line in lines] == [0, 3, 4]
    assert "penalty" in lines[0] and "data_loss" in lines[0]


def test_progress_bar_is_quiet_off_a_terminal(blobs, capsys):
    X, y = blobs
    nn.fit(
        small_model(),
        nn.SoftmaxCrossEntropy(),
        nn.SGD(0.1),
        X,
        y,
        epochs=3,
        callbacks=[nn.ProgressBar()],
    )
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_divergence_stops_and_keeps_the_last_finite_weights(blobs):
    X, y = blobs
    model = nn.build_mlp(2, [8], 1, activation="relu", rng=0)
    with pytest.warns(nn.DivergenceWarning, match="smaller learning rate"):
        history = nn.fit(model, nn.MSE(), nn.SGD(lr=50.0), X, X[:, 0] * 100, epochs=500)
    assert history.diverged and len(history) < 500
    assert f"epoch {len(history)}" in history.stop_reason
    assert all(np.isfinite(p).all() for p in model.parameters())
    assert np.isfinite(history["loss"]).all()
    # the kept weights are those of the last logged epoch, whose loss was finite
    value = nn.evaluate(model, nn.MSE(), X, X[:, 0] * 100)["data_loss"]
    assert value == pytest.approx(history["data_loss"][-1], rel=1e-12)


def test_ctrl_c_keeps_the_model_consistent_and_the_history(blobs):
    X, y = blobs

    class InterruptingSGD(nn.SGD):
        def update(self, p, g, state, lr):
            if self.t == 5:  # mid-update: half the weights changed, then Ctrl-C
                p[: p.size // 2] -= lr * g[: p.size // 2]
                raise KeyboardInterrupt
            super().update(p, g, state, lr)

    model = small_model()
    reference = small_model()
    history = nn.fit(model, nn.SoftmaxCrossEntropy(), InterruptingSGD(0.1), X, y, epochs=50)
    nn.fit(reference, nn.SoftmaxCrossEntropy(), nn.SGD(0.1), X, y, epochs=4)
    assert history.interrupted and len(history) == 4
    for name, value in reference.state_dict().items():
        assert np.array_equal(model.state_dict()[name], value), name  # no half-applied update


def test_float32_end_to_end(blobs):
    X, y = blobs
    model = small_model(dtype=np.float32)
    optimizer = nn.Adam(0.01)
    nn.fit(model, nn.SoftmaxCrossEntropy(), optimizer, X, y, epochs=5, batch_size=32, rng=0)
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert all(g.dtype == np.float32 for g in model.gradients())
    assert all(a.dtype == np.float32 for s in optimizer.state for a in s.values())
    assert model.predict_proba(X).dtype == np.float32
    assert model.decision_function(X).dtype == np.float32


def test_float32_and_float64_agree_closely(blobs):
    X, y = blobs
    results = []
    for dtype in (np.float64, np.float32):
        model = small_model(dtype=dtype)
        nn.fit(model, nn.SoftmaxCrossEntropy(), nn.SGD(0.1), X, y, epochs=20)
        results.append(model.predict_proba(X).astype(np.float64))
    np.testing.assert_allclose(results[1], results[0], atol=1e-4)


def test_train_step_is_the_four_line_loop(blobs):
    X, y = blobs
    a, b = small_model(), small_model()
    loss, target = nn.SoftmaxCrossEntropy(), nn.SoftmaxCrossEntropy().check_target(y, 3)
    optimizer = nn.SGD(0.1)
    for _ in range(3):
        nn.train_step(a, loss, optimizer, X, target)
    nn.fit(b, nn.SoftmaxCrossEntropy(), nn.SGD(0.1), X, y, epochs=3)
    for name, value in a.state_dict().items():
        assert np.array_equal(b.state_dict()[name], value)


def test_dropout_is_active_only_in_training(blobs):
    X, y = blobs
    model = nn.build_mlp(2, [32], 3, dropout=0.5, rng=0)
    assert np.array_equal(model.forward(X), model.forward(X))
    # training-mode outputs live in reused buffers: keep a copy to compare
    first = model.forward(X, training=True).copy()
    assert not np.array_equal(first, model.forward(X, training=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.fit(model, nn.SoftmaxCrossEntropy(), nn.SGD(0.1), X, y, epochs=3, batch_size=32, rng=0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"validation_split": 1.0}, "validation_split"),
        ({"shuffle": "yes"}, "shuffle"),
        ({"callbacks": [print]}, "Callback"),
        ({"rng": "seed"}, "rng"),
    ],
)
def test_bad_fit_arguments(blobs, kwargs, match):
    X, y = blobs
    with pytest.raises((ValueError, TypeError), match=match):
        nn.fit(small_model(), nn.SoftmaxCrossEntropy(), nn.SGD(0.1), X, y, **kwargs)
