"""What every closed-form baseline (ridge, Kalman) promises: registration, a deterministic fit,
identical predictions after a checkpoint round trip, and clear errors on mismatched data."""

import json

import numpy as np
import pytest
import torch

from rat_lava.baselines import BASELINES, KalmanDecoder, RidgeDecoder
from rat_lava.errors import DataError
from rat_lava.train.checkpoint import load_checkpoint, save_checkpoint
from tests.helpers.cosine_sessions import cosine_session

CLASSES = {"ridge": RidgeDecoder, "kalman": KalmanDecoder}
NAMES = list(CLASSES)


@pytest.mark.parametrize("name", NAMES)
def test_registered_under_its_name(name):
    assert BASELINES[name] is CLASSES[name] and CLASSES[name].name == name


@pytest.mark.parametrize("name", NAMES)
def test_fit_is_deterministic(parts, fit_baseline, name):
    again = BASELINES[name]()
    again.fit(parts[0], parts[1])
    for key, value in fit_baseline(name)[0].state().items():
        assert torch.equal(value, again.state()[key]), key


@pytest.mark.parametrize("name", NAMES)
def test_checkpoint_round_trip_predicts_identically(tmp_path, parts, fit_baseline, name):
    decoder, _ = fit_baseline(name)
    config = decoder.config()
    assert json.loads(json.dumps(config)) == config
    path = save_checkpoint(tmp_path / f"{name}.pt", decoder.name, config, decoder.state(), {})
    payload = load_checkpoint(path)
    loaded = BASELINES[payload["model"]].from_state(payload["config"], payload["state"])
    np.testing.assert_array_equal(loaded.predict(parts[2]), decoder.predict(parts[2]))


@pytest.mark.parametrize("name", NAMES)
def test_other_channel_count_or_bin_width_is_a_data_error(fit_baseline, name):
    decoder, _ = fit_baseline(name)
    with pytest.raises(DataError, match="cosine: model was trained on 96 channels, data has 80"):
        decoder.predict(cosine_session(n_channels=80, seconds=2.0))
    with pytest.raises(DataError, match="trained on 4 ms bins, data has 50 ms bins"):
        decoder.predict(cosine_session(seconds=2.0, dt=0.05))


@pytest.mark.parametrize("name", NAMES)
def test_predict_before_fit_is_refused(name):
    with pytest.raises(RuntimeError, match="fit"):
        BASELINES[name]().predict(cosine_session(seconds=1.0))
