"""Each optimizer's first steps against its update written out by hand."""

import math

import numpy as np
import pytest

import nnscratch as nn

P0 = np.array([[0.5, -1.0], [2.0, 0.25]])
GRADS = [np.array([[0.1, -0.2], [0.3, 0.05]]), np.array([[-0.4, 0.1], [0.2, -0.3]]),
         np.array([[0.05, 0.5], [-0.1, 0.2]])]  # fmt: skip


def run(optimizer, steps=3):
    p = P0.copy()
    trace = []
    for g in GRADS[:steps]:
        optimizer.step([p], [g.copy()])
        trace.append(p.copy())
    return trace


def test_plain_sgd_is_bit_identical_to_the_seeds_update():
    lr = 0.01
    expected = P0.copy()
    for got, g in zip(run(nn.SGD(lr)), GRADS):
        expected += -lr * g  # the seeds: W += -epsilon * dW
        assert np.array_equal(got, expected)


def test_momentum_by_hand():
    lr, mu = 0.1, 0.9
    p, v = P0.copy(), np.zeros_like(P0)
    for got, g in zip(run(nn.SGD(lr, momentum=mu)), GRADS):
        v = mu * v - lr * g
        p = p + v
        np.testing.assert_allclose(got, p, rtol=1e-15)


def test_nesterov_by_hand():
    lr, mu = 0.1, 0.9
    p, v = P0.copy(), np.zeros_like(P0)
    for got, g in zip(run(nn.SGD(lr, momentum=mu, nesterov=True)), GRADS):
        v = mu * v - lr * g
        p = p + mu * v - lr * g
        np.testing.assert_allclose(got, p, rtol=1e-15)


def test_adam_by_hand():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    p, m, v = P0.copy(), np.zeros_like(P0), np.zeros_like(P0)
    for t, (got, g) in enumerate(zip(run(nn.Adam(lr)), GRADS), start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        p = p - lr * math.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
        np.testing.assert_allclose(got, p, rtol=1e-14)


def test_adam_is_the_papers_algorithm_1():
    # Kingma & Ba's Algorithm 1 (bias-corrected moments), other arithmetic than the
    # efficient form above: the two differ only in where eps sits, eps/sqrt(1 - b2^t) here
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    p, m, v = P0.copy(), np.zeros_like(P0), np.zeros_like(P0)
    before = P0
    for t, (got, g) in enumerate(zip(run(nn.Adam(lr)), GRADS), start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps / math.sqrt(1 - b2**t))
        np.testing.assert_allclose(got, p, rtol=1e-13)
        # Adam's bounded step: |m_hat| <= sqrt(v_hat) for these gradients, so no weight
        # moves by more than lr
        assert np.all(np.abs(got - before) <= lr * (1 + 1e-12))
        before = got


def test_adam_first_step_moves_each_weight_by_about_lr():
    got = run(nn.Adam(0.01), steps=1)[0]
    np.testing.assert_allclose(np.abs(got - P0), 0.01, rtol=1e-5)


def test_rmsprop_by_hand():
    lr, rho, eps = 0.01, 0.9, 1e-8
    p, s = P0.copy(), np.zeros_like(P0)
    for got, g in zip(run(nn.RMSProp(lr, rho=rho)), GRADS):
        s = rho * s + (1 - rho) * g**2
        p = p - lr * g / (np.sqrt(s) + eps)
        np.testing.assert_allclose(got, p, rtol=1e-14)


def test_adagrad_by_hand():
    lr, eps = 0.1, 1e-8
    p, s = P0.copy(), np.zeros_like(P0)
    for got, g in zip(run(nn.AdaGrad(lr)), GRADS):
        s = s + g**2
        p = p - lr * g / (np.sqrt(s) + eps)
        np.testing.assert_allclose(got, p, rtol=1e-14)


@pytest.mark.parametrize(
    "schedule, expected",
    [
        (nn.StepDecay(1.0, step_size=2, gamma=0.5), [1.0, 1.0, 0.5, 0.5, 0.25]),
        (nn.ExponentialDecay(1.0, gamma=0.5), [1.0, 0.5, 0.25, 0.125, 0.0625]),
        (
            nn.InverseScaling(1.0, power_t=0.5),
            [1.0, 1 / math.sqrt(2), 1 / math.sqrt(3), 0.5, 1 / math.sqrt(5)],
        ),
        (
            nn.CosineDecay(1.0, total_steps=4),
            [1.0, (1 + math.cos(math.pi / 4)) / 2, 0.5, (1 + math.cos(3 * math.pi / 4)) / 2, 0.0],
        ),
    ],
)
def test_schedules(schedule, expected):
    np.testing.assert_allclose([schedule(t) for t in range(5)], expected, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("cls", [nn.SGD, nn.Adam, nn.RMSProp, nn.AdaGrad])
def test_any_optimizer_follows_a_schedule(cls):
    optimizer = cls(lr=nn.StepDecay(0.1, step_size=1, gamma=0.5))
    # these updates are lr times a step that the state alone decides: the same
    # optimizer at lr = 1, fed the same gradients, takes that step
    unit = cls(lr=1.0)
    p, q = P0.copy(), P0.copy()
    steps = []
    for g in GRADS:
        steps.append(optimizer.current_lr())
        p_before, q_before = p.copy(), q.copy()
        optimizer.step([p], [g.copy()])
        unit.step([q], [g.copy()])
        assert not np.array_equal(p, p_before)
        np.testing.assert_allclose(p - p_before, steps[-1] * (q - q_before), rtol=1e-12)
    assert steps == [0.1, 0.05, 0.025]


F32_HAND = {  # float64 hyper-parameters; the expected update is written out below
    "sgd": lambda: nn.SGD(np.float64(0.1)),
    "momentum": lambda: nn.SGD(np.float64(0.1), momentum=np.float64(0.9)),
    "adam": lambda: nn.Adam(np.float64(0.1), np.float64(0.9), np.float64(0.999), np.float64(1e-8)),
    "rmsprop": lambda: nn.RMSProp(np.float64(0.1), rho=np.float64(0.9), eps=np.float64(1e-8)),
    "adagrad": lambda: nn.AdaGrad(np.float64(0.1), eps=np.float64(1e-8)),
}


@pytest.mark.parametrize("name", list(F32_HAND))
def test_float32_parameters_are_updated_in_float32(name):
    # float64 numbers must not pull the arithmetic into float64: an update computed in
    # float64 and rounded to float32 differs from the float32 one in some last bits
    f32 = np.float32
    lr, mu, b1, b2, rho, eps = 0.1, 0.9, 0.9, 0.999, 0.9, 1e-8
    rng = np.random.default_rng(0)
    p = rng.standard_normal(64).astype(f32)
    grads = [rng.standard_normal(64).astype(f32) for _ in range(3)]
    optimizer = F32_HAND[name]()
    # by hand, every operation in float32 (the numbers as float32 scalars)
    q, m, v = p.copy(), np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        optimizer.step([p], [g.copy()])
        if name == "sgd":
            q = q - g * f32(lr)
        elif name == "momentum":
            v = v * f32(mu) - g * f32(lr)
            q = q + v
        elif name == "adam":
            m = m * f32(b1) + g * f32(1 - b1)
            v = v * f32(b2) + (g * g) * f32(1 - b2)
            lr_t = f32(lr * math.sqrt(1 - b2**t) / (1 - b1**t))
            q = q - (m * lr_t) / (np.sqrt(v) + f32(eps))
        else:
            v = v * f32(rho) + (g * g) * f32(1 - rho) if name == "rmsprop" else v + g * g
            q = q - (g * f32(lr)) / (np.sqrt(v) + f32(eps))
        assert q.dtype == f32 and p.dtype == f32
        np.testing.assert_array_equal(p, q, err_msg=f"step {t}")
    assert all(x.dtype == f32 for state in optimizer.state for x in state.values())


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: nn.SGD(lr=-1), "lr"),
        (lambda: nn.SGD(lr=float("nan")), "finite"),
        (lambda: nn.SGD(lr="0.1"), "lr"),
        (lambda: nn.SGD(0.1, momentum=1.5), "momentum"),
        (lambda: nn.SGD(0.1, nesterov=True), "momentum"),
        (lambda: nn.Adam(beta1=1.0), "beta1"),
        (lambda: nn.RMSProp(rho=-0.1), "rho"),
        (lambda: nn.AdaGrad(eps=0), "eps"),
        (lambda: nn.StepDecay(0.1, step_size=0), "step_size"),
    ],
)
def test_bad_hyper_parameters_are_refused(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_state_is_tied_to_the_parameter_count():
    optimizer = nn.Adam()
    optimizer.step([np.zeros(2)], [np.ones(2)])
    with pytest.raises(ValueError, match="fresh optimizer"):
        optimizer.step([np.zeros(2), np.zeros(3)], [np.ones(2), np.ones(3)])


BLOCKED = [
    lambda: nn.SGD(0.1),
    lambda: nn.SGD(0.1, momentum=0.9),
    lambda: nn.SGD(0.1, momentum=0.9, nesterov=True),
    lambda: nn.Adam(0.01),
    lambda: nn.RMSProp(0.01),
    lambda: nn.AdaGrad(0.1),
]


@pytest.mark.parametrize("make", BLOCKED)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_long_vector_updated_in_blocks_gets_the_same_bits(make, dtype, monkeypatch):
    # fit's flat vector of weights is updated block by block (optimizers.BLOCK):
    # every value must go through the same arithmetic as in one whole-vector update
    from nnscratch import optimizers

    rng = np.random.default_rng(0)
    n = 2 * optimizers.BLOCK + 1234  # the last block is short
    p0 = rng.standard_normal(n).astype(dtype)
    grads = [rng.standard_normal(n).astype(dtype) for _ in range(3)]
    results = []
    for block in (optimizers.BLOCK, 10**12):  # in blocks, then whole
        monkeypatch.setattr(optimizers, "BLOCK", block)
        optimizer, p = make(), p0.copy()
        for g in grads:
            optimizer.step([p], [g])
        real = {k: v for k, v in optimizer.state[0].items() if k not in optimizer.scratch_keys}
        results.append((p, real))
    (p_blocks, state_blocks), (p_whole, state_whole) = results
    assert not np.array_equal(p_whole, p0)
    np.testing.assert_array_equal(p_blocks, p_whole)
    assert state_blocks.keys() == state_whole.keys()
    for key in state_whole:
        np.testing.assert_array_equal(state_blocks[key], state_whole[key])


def test_a_strided_vector_is_updated_in_place_block_by_block():
    from nnscratch import optimizers

    base = np.ones(2 * (optimizers.BLOCK + 10))
    p = base[::2]  # a view: the update must land in base
    g = np.arange(p.size, dtype=float)
    nn.SGD(0.5).step([p], [g])
    np.testing.assert_array_equal(base[::2], 1 - 0.5 * g)
    np.testing.assert_array_equal(base[1::2], 1.0)


class _NumpyCosine(nn.optimizers.Schedule):
    """A user's schedule written with np.cos: its values are NumPy float64 scalars."""

    def __init__(self, bad_at=None):
        self.bad_at = bad_at

    def __call__(self, t):
        return np.float64("nan") if t == self.bad_at else 0.05 * (1 + np.cos(np.pi * t / 10))


def test_a_numpy_valued_schedule_keeps_float32_updates_in_float32():
    rng = np.random.default_rng(1)
    p = rng.standard_normal(1000).astype(np.float32)
    grads = [rng.standard_normal(1000).astype(np.float32) for _ in range(3)]
    q = p.copy()
    optimizer = nn.SGD(_NumpyCosine())
    for t, g in enumerate(grads):
        optimizer.step([p], [g])
        q -= g * np.float32(float(0.05 * (1 + np.cos(np.pi * t / 10))))
        np.testing.assert_array_equal(p, q)


def test_a_schedule_giving_nan_is_refused_before_any_update():
    p = np.ones(3)
    optimizer = nn.SGD(_NumpyCosine(bad_at=1))
    optimizer.step([p], [np.ones(3)])
    kept = p.copy()
    with pytest.raises(ValueError, match=r"learning rate nan at step 1; expected a finite number"):
        optimizer.step([p], [np.ones(3)])
    np.testing.assert_array_equal(p, kept)
