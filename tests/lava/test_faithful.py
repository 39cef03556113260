"""Faithful: on the same test sequence, LavaDecoder's R2 is within 0.02 (sim-fixed, quantized
export) and 0.01 (sim-float, float export) of the float PyTorch model's R2."""

import pytest

from rat_lava import LavaDecoder
from rat_lava.metrics import r2_score
from tests.helpers.trained_rat import trained_rat

TOLERANCE = {"sim-fixed": 0.02, "sim-float": 0.01}


@pytest.fixture(scope="module")
def torch_r2():
    rat = trained_rat()
    score = r2_score(rat.test.velocity, rat.predict()).mean
    assert score > 0.5  # a model that decodes something, so that the comparison means something
    return score


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sim-fixed", "sim-float"])
def test_lava_r2_is_close_to_the_float_model(torch_r2, backend, no_leftover_children):
    rat = trained_rat()
    network = rat.fold(quantize=backend == "sim-fixed")
    with LavaDecoder(network, backend, velocity_scale=rat.scale) as decoder:
        velocity = decoder.decode(rat.test.spikes)
    lava_r2 = r2_score(rat.test.velocity, velocity).mean
    assert abs(lava_r2 - torch_r2) <= TOLERANCE[backend], (lava_r2, torch_r2)
