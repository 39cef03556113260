"""Small cosine-tuned sessions for the baseline tests, with a known velocity lead."""

import numpy as np
from scipy.ndimage import gaussian_filter1d

from rat_lava.data.session import Session


def cosine_session(n_channels=96, seconds=60.0, dt=0.004, seed=0) -> Session:
    """Poisson units cosine-tuned to a smooth random velocity (mm/s) that they lead by 80 ms."""
    rng = np.random.default_rng(seed)
    n_steps, lead = round(seconds / dt), round(0.08 / dt)
    velocity = gaussian_filter1d(rng.normal(size=(n_steps + lead, 2)), 0.15 / dt, axis=0)
    velocity *= 100.0 / velocity.std()
    angle = rng.uniform(0, 2 * np.pi, n_channels)
    baseline_hz, depth_hz = rng.uniform(2, 20, n_channels), rng.uniform(0, 5, n_channels)
    tuning = velocity[lead:] @ np.stack([np.cos(angle), np.sin(angle)]) / 100.0
    rate_hz = np.clip(baseline_hz + depth_hz * tuning, 0.0, None)
    return Session(rng.poisson(rate_hz * dt), velocity[:n_steps], dt, source="cosine")


def split(session: Session) -> tuple[Session, Session, Session]:
    """Chronological 60 / 20 / 20 % train, validation and test parts."""
    a, b = round(0.6 * session.n_steps), round(0.8 * session.n_steps)
    return session.slice(0, a), session.slice(a, b), session.slice(b, session.n_steps)
