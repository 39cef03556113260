"""Ridge (Wiener filter) baseline: accuracy, causality, bin widths, scaling, state checks (what
every baseline promises is in test_baseline_contract.py)."""

import numpy as np
import pytest
import torch

from rat_lava.baselines import RidgeDecoder
from rat_lava.baselines.ridge import RidgeConfig
from rat_lava.data.session import Session
from rat_lava.metrics import r2_score
from tests.helpers.cosine_sessions import cosine_session, split

# Measured test R²: 0.84 at 4 ms (cosine_session()), 0.81 at 50 ms (seed 1, 120 s). With
# 0.1 s of history instead of 0.2 s it is 0.74, with no history 0.12, with no fit ~0.
MIN_R2_4MS = 0.78
MIN_R2_50MS = 0.75


@pytest.fixture
def fitted(fit_baseline):
    return fit_baseline("ridge")


def test_decodes_held_out_velocity(parts, fitted):
    decoder, info = fitted
    _, val, test = parts
    prediction = decoder.predict(test)
    assert prediction.shape == (test.n_steps, 2) and prediction.dtype == np.float32
    assert r2_score(test.velocity, prediction).mean > MIN_R2_4MS
    assert decoder.state()["weight"].shape == (5, 96, 2)  # 0.2 s: five 40 ms windows
    assert info["alpha"] in decoder.cfg.alphas
    assert info["val_r2"] == pytest.approx(r2_score(val.velocity, decoder.predict(val)).mean)


def test_decodes_50_ms_bins_with_the_same_history_in_seconds():
    train, val, test = split(cosine_session(seconds=120.0, dt=0.05, seed=1))
    decoder = RidgeDecoder()
    decoder.fit(train, val)
    assert decoder.state()["weight"].shape == (4, 96, 2)  # 0.2 s: four 50 ms bins
    assert r2_score(test.velocity, decoder.predict(test)).mean > MIN_R2_50MS


def test_future_bins_do_not_change_past_outputs(parts, fitted):
    decoder, _ = fitted
    test = parts[2]
    t0 = 1234
    spikes = test.spikes.copy()
    spikes[t0 + 1 :] = np.random.default_rng(5).poisson(1.0, spikes[t0 + 1 :].shape)
    before = decoder.predict(test)
    after = decoder.predict(Session(spikes, test.velocity, test.dt))
    np.testing.assert_array_equal(before[: t0 + 1], after[: t0 + 1])
    assert np.all(before[t0 + 1 :] != after[t0 + 1 :], axis=1).mean() > 0.9


def test_z_scoring_makes_the_fit_blind_to_a_channel_count_scale(parts, fitted):
    """Features are z-scored with training statistics: 50x the counts of one channel (a
    multi-unit instead of a single unit, say) leaves the decoded velocity unchanged."""
    train, val, test = parts

    def louder(session: Session) -> Session:
        spikes = session.spikes.copy()
        spikes[:, 3] *= 50
        return Session(spikes, session.velocity, session.dt)

    decoder = RidgeDecoder()
    decoder.fit(louder(train), louder(val))
    expected = fitted[0].predict(test)
    # tolerance (mm/s, velocities ~100 mm/s): rounding of the z-scored features only
    np.testing.assert_allclose(decoder.predict(louder(test)), expected, rtol=0, atol=1e-4)


def test_more_features_than_steps_and_a_silent_channel():
    """100 training steps for 480 features, and a channel that never fires in training."""
    session = cosine_session(seconds=1.2)
    spikes = session.spikes.copy()
    spikes[:100, 7] = 0
    train, val = Session(spikes[:100], session.velocity[:100], 0.004), session.slice(100, 300)
    decoder = RidgeDecoder()
    decoder.fit(train, val)
    assert np.all(np.isfinite(decoder.predict(session)))


def test_inconsistent_state_or_config_is_rejected(fitted):
    decoder, _ = fitted
    state = decoder.state()
    with pytest.raises(ValueError, match="inconsistent ridge shapes"):
        RidgeDecoder.from_state(decoder.config(), {**state, "bias": torch.zeros(3)})
    with pytest.raises(ValueError, match="5 lag windows, its config 2"):
        RidgeDecoder.from_state({**decoder.config(), "history_s": 0.08}, state)
    with pytest.raises(KeyError):
        RidgeDecoder.from_state(decoder.config(), {"mean": state["mean"]})
    with pytest.raises(ValueError, match="alphas"):
        RidgeConfig(alphas=())
