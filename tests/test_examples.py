"""Every seed's example against the numbers its own code prints (the oracle).

The figures below were printed by the seeds' own programs (numpy 2.4 with
OpenBLAS). Robust runs must agree to 1e-10 relative. The moons run with
three hidden units sits on the edge of stability: it must agree exactly up
to iteration 1000 and afterwards by what does not depend on the last bit
(accuracy 0.975, a final loss on one of the two branches of its period-2
cycle). Each example runs once per module, writing its pictures into a
temporary folder.
"""

from __future__ import annotations

import numpy as np
import pytest
from nnscratch.examples import (
    seed000_moons,
    seed001_moons_h8,
    seed002_xor,
    seed003_quadrants,
    seed004_gaussian_quadrants,
)

RTOL = 1e-10


def close(actual, expected, rtol=RTOL):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=0)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Run an example once (quietly, pictures into a temporary folder) and keep its results."""
    cache = {}

    def get(module, **kwargs):
        if module not in cache:
            out = tmp_path_factory.mktemp(module.__name__.rsplit(".", 1)[-1])
            cache[module] = (module.main(output_dir=out, quiet=True, **kwargs), out)
        return cache[module]

    return get


# ---------------------------------------------------------------- seed 000: moons, H = 3
def test_seed000_matches_exactly_up_to_iteration_1000(run):
    result, _ = run(seed000_moons)
    close(result["printed"][0], 0.43238663152549245)
    close(result["printed"][1000], 0.06894653811984068)


def test_seed000_robust_figures_after_the_edge_of_stability(run):
    result, out = run(seed000_moons)
    assert result["accuracy"] == 0.975
    branches = (0.07075794586690376, 0.07131580877345207)  # odd and even passes of the cycle
    assert min(abs(result["final_loss"] - b) for b in branches) < 1e-6
    for name in ("boundary_h3", "step_size"):
        assert (out / f"seed000_{name}.png").stat().st_size > 0


def test_seed000_oscillates_and_a_smaller_step_does_not(run):
    result, _ = run(seed000_moons)
    steps = np.diff(result["loss_curve"][-9:])
    assert np.all(np.abs(steps) > 1e-4)  # jumps of about 5.6e-4 ...
    assert np.all(np.sign(steps[1:]) == -np.sign(steps[:-1]))  # ... alternating up and down
    fixed_steps = np.diff(result["fixed_loss_curve"])
    assert np.all(fixed_steps <= 0)  # never goes up, from the first pass to the last
    assert np.all(np.abs(fixed_steps[-8:]) < 1e-8)  # and has settled
    assert result["fixed_final_loss"] < min(result["loss_curve"][-2:]) - 1e-3
    assert result["fixed_accuracy"] == 0.975


# ---------------------------------------------------------------- seed 001: moons, H = 8
def test_seed001_h8_baseline_and_sweep(run):
    result, out = run(seed001_moons_h8, hidden_sizes=(1, 5))
    close(result["final_loss"], 0.030485996193583775)
    assert result["accuracy"] == 0.99
    assert result["baseline_accuracy"] == 0.85
    close(result["sweep"][1][0], 0.32836650491436475)
    assert result["sweep"][1][1] == 0.865
    close(result["sweep"][5][0], 0.039036704661123196)
    assert result["sweep"][5][1] == 0.99
    for name in ("logistic_regression", "boundary_h8", "hidden_sizes"):
        assert (out / f"seed001_{name}.png").stat().st_size > 0


# ---------------------------------------------------------------- seed 002: XOR
def test_seed002_reproduces_the_failure(run):
    result, out = run(seed002_xor)
    printed = {
        0: 1.8645601548654533,
        100: 1.0011385784133542,
        200: 1.0009413822786462,
        300: 1.000842908092122,
        500: 1.0006867349364292,
        1000: 1.0004428173244142,
        2000: 1.0002260765608628,
        3000: 1.0001357729415647,
        5000: 1.0000634893036617,
        7000: 1.000035910413114,
        9000: 1.0000225943099863,
        9900: 1.000018775809372,
    }
    for i, value in printed.items():
        close(result["printed"][i], value)
    assert len(result["printed"]) == 100 and not result["stopped"]
    assert result["epochs"] == 10000
    close(result["last_loss"], 1.0000184104167216)
    close(
        result["outputs"],
        [0.4971780959649357, 0.5011458827861203, 0.49880949139638175, 0.5027772782175663],
    )
    assert result["predictions"].tolist() == [0, 1, 0, 1]
    assert (out / "seed002_xor.png").stat().st_size > 0


def test_seed002_final_weights(run):
    weights = run(seed002_xor)[0]["weights"]
    close(
        weights["0.W"],
        [
            [0.03180829576120985, -0.01754663733870344, 0.05577767064371441],
            [0.07534413007684733, -0.021558877570498312, -0.023413695694918055],
        ],
    )
    close(weights["0.b"], [0.20894115007063727, 0.06110964135327765, -0.055938621759850045])
    close(weights["2.W"][:, 0], [0.05414281890678793, 0.005174516571693193, -0.04476467232200444])
    close(weights["2.b"], [0.4855492202626124])


def test_seed002_dead_unit_explains_it_and_the_fixes_learn_xor(run):
    result, _ = run(seed002_xor)
    # unit 3 off on every point, units 1 and 2 on on every point: an affine network
    assert result["active"].tolist() == [[True, True, False]] * 4
    assert len(result["fixes"]) == 2
    for label, fix in result["fixes"].items():
        assert fix["predictions"].tolist() == [0, 1, 1, 0], label
        assert fix["epochs"] < 10000 and fix["loss"] < 0.001, label  # the seed's stopping rule
        outputs = fix["outputs"]
        assert np.all(np.abs(outputs - [0, 1, 1, 0]) < 0.05), label


# ---------------------------------------------------------------- seed 003: quadrant points
def test_seed003_losses_and_test_probabilities(run):
    result, out = run(seed003_quadrants)
    losses = {
        0: 12.0392468493074,
        1000: 0.04338718439512665,
        2000: 0.020164345969956567,
        3000: 0.013151917799507761,
        4000: 0.009784243790817607,
        5000: 0.007808924466369356,
        6000: 0.006511438271082217,
        7000: 0.00559448610146247,
        8000: 0.00491236685181127,
        9000: 0.00438530699896174,
        9999: 0.003966347544057221,
    }
    assert len(result["losses"]) == 10000
    for i, value in losses.items():
        close(result["losses"][i], value)
    close(result["final_loss"], 0.003965971694208653)
    close(
        result["test_probabilities"],
        [
            [0.9999999648079215, 2.6092473613575218e-09, 3.2582827079547004e-08, 4.0772546836305e-15],
            [1.3764366147275821e-05, 0.9999099018618951, 7.630133967045278e-05, 3.243228727790043e-08],
            [1.199853375724466e-12, 2.281783521299102e-06, 0.9999155104454598, 8.220776981904172e-05],
            [4.18966184306007e-07, 1.07713698380299e-05, 2.832981108909361e-05, 0.9999604798528885],
        ],
    )  # fmt: skip
    assert result["train_quadrants"].tolist() == [1, 2, 3, 4]
    assert result["test_quadrants"].tolist() == [1, 2, 3, 4]
    assert (out / "seed003_quadrants.png").stat().st_size > 0


def test_seed003_prints_what_the_seed_prints(capsys):
    seed003_quadrants.main(quiet=False)
    printed = capsys.readouterr().out
    assert "iteration 0  loss 12.0392468493" in printed
    assert "[-2.  2.] is in quadrant 2" in printed


# ---------------------------------------------------------------- seed 004: Gaussian quadrants
def test_seed004_losses_and_the_real_accuracy(run):
    result, out = run(seed004_gaussian_quadrants)
    losses = {
        0: 2.7754890285683076,
        1000: 2.249299412280858,
        2000: 1.533676207582688,
        3000: 0.24520136668020456,
        4000: 0.21413537593246929,
        5000: 0.20068208622536518,
        6000: 0.1905262038240264,
        7000: 0.18373802504756753,
        8000: 0.17946784007552247,
        9000: 0.17666907595920744,
        9999: 0.17468123046084308,
    }
    assert len(result["losses"]) == 10000
    for i, value in losses.items():
        close(result["losses"][i], value)
    close(result["final_loss"], 0.17467952485586818)
    assert result["correct"] == 777 and result["accuracy"] == 0.97125  # not the seed's 1.0
    # the first plateau: the class-prior loss 4·H(¼) = 2.2493 from about pass 20 to 1300
    plateau = np.array(result["losses"][25:1300])
    assert np.all(np.abs(plateau - 2.2493) < 2e-3)
    for name in ("loss", "boundary"):
        assert (out / f"seed004_{name}.png").stat().st_size > 0
