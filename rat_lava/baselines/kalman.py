"""Kalman filter decoder (Wu et al. 2003), the classic BMI velocity decoder.

State x_t = (vx, vy). Dynamics x_t = A x_{t-1} + w, w ~ N(0, W); observation z_t = H x_t + q,
q ~ N(0, Q), where z_t is the causal mean count over the last ``smooth_s`` seconds minus its
training mean (single counts at 4 ms are too sparse for a Gaussian model). A, W, H, Q are fit
by least squares on the training split; decoding uses the steady-state gain, so each step
costs one small matrix product.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from rat_lava.baselines.features import causal_chunk_sums, check_channels
from rat_lava.data.session import Session
from rat_lava.metrics import r2_score


@dataclass
class KalmanConfig:
    """Observation smoothing window (s), ridge on H, and the neural lead times tried (s)."""

    smooth_s: float = 0.1
    ridge: float = 1e-3
    leads_s: tuple[float, ...] = (0.0, 0.05, 0.1)


def _steady_state_gain(a, w, h, q, iterations: int = 2000) -> np.ndarray:
    """Kalman gain K (2, C) of the converged Riccati recursion."""
    p = w.copy()
    gain = np.zeros((a.shape[0], h.shape[0]))
    for _ in range(iterations):
        prior = a @ p @ a.T + w
        s = h @ prior @ h.T + q
        new_gain = np.linalg.solve(s, h @ prior).T
        p = (np.eye(len(a)) - new_gain @ h) @ prior
        if np.max(np.abs(new_gain - gain)) < 1e-10:
            return new_gain
        gain = new_gain
    return gain


class KalmanDecoder:
    """Steady-state Kalman filter over smoothed counts."""

    name = "kalman"

    def __init__(self, config: KalmanConfig | None = None) -> None:
        self.cfg = config or KalmanConfig()
        self.n_channels = 0
        self.z_mean = np.zeros(0)
        self.a = self.h = self.gain = np.zeros((0, 0))
        self.lead = 0

    def _observations(self, session: Session) -> np.ndarray:
        window = max(1, round(self.cfg.smooth_s / session.dt))
        return causal_chunk_sums(session.spikes, window, 1) / window - self.z_mean

    def _fit_lead(self, train: Session, lead: int) -> None:
        z_raw = causal_chunk_sums(train.spikes, max(1, round(self.cfg.smooth_s / train.dt)), 1)
        z_raw = z_raw / max(1, round(self.cfg.smooth_s / train.dt))
        x = train.velocity.astype(np.float64)
        # neural activity leads movement: z at step t observes the velocity at step t + lead
        z, x = z_raw[: len(z_raw) - lead], x[lead:]
        self.z_mean = z.mean(axis=0)
        z = z - self.z_mean
        a = np.linalg.lstsq(x[:-1], x[1:], rcond=None)[0].T
        w = np.cov((x[1:] - x[:-1] @ a.T).T) + 1e-9 * np.eye(2)
        h = np.linalg.solve(x.T @ x + self.cfg.ridge * len(x) * np.eye(2), x.T @ z).T
        residual = z - x @ h.T
        q = np.cov(residual.T) + 1e-6 * np.eye(z.shape[1])
        self.a, self.h, self.lead = a, h, lead
        self.gain = _steady_state_gain(a, w, h, q)

    def fit(self, train: Session, val: Session) -> dict:
        """Fit the model for each candidate lead; keep the best one on ``val``."""
        self.n_channels = train.n_channels
        best = (-np.inf, 0)
        for lead_s in self.cfg.leads_s:
            lead = round(lead_s / train.dt)
            self._fit_lead(train, lead)
            score = r2_score(val.velocity, self.predict(val)).mean
            if score > best[0]:
                best = (score, lead)
        self._fit_lead(train, best[1])
        return {"val_r2": best[0], "lead_steps": best[1]}

    def predict(self, session: Session) -> np.ndarray:
        """Causal velocity (T, 2) float32: the filtered state, delayed by the fitted lead."""
        check_channels(self.n_channels, session.n_channels, session.source)
        z = self._observations(session)
        transition = self.a - self.gain @ self.h @ self.a
        drive = z @ self.gain.T
        x = np.zeros(2)
        out = np.empty((len(z), 2))
        for t in range(len(z)):
            x = transition @ x + drive[t]
            out[t] = x
        return out.astype(np.float32)

    def config(self) -> dict:
        return {**asdict(self.cfg), "leads_s": list(self.cfg.leads_s)}

    def state(self) -> dict[str, torch.Tensor]:
        return {
            "z_mean": torch.from_numpy(self.z_mean),
            "a": torch.from_numpy(self.a),
            "h": torch.from_numpy(self.h),
            "gain": torch.from_numpy(self.gain),
            "lead": torch.tensor(self.lead),
            "n_channels": torch.tensor(self.n_channels),
        }

    @classmethod
    def from_state(cls, config: dict, state: dict[str, torch.Tensor]) -> KalmanDecoder:
        decoder = cls(KalmanConfig(**{**config, "leads_s": tuple(config["leads_s"])}))
        decoder.z_mean, decoder.a = state["z_mean"].numpy(), state["a"].numpy()
        decoder.h, decoder.gain = state["h"].numpy(), state["gain"].numpy()
        decoder.lead, decoder.n_channels = int(state["lead"]), int(state["n_channels"])
        return decoder
