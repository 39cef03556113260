"""Kalman filter decoder (Wu et al. 2003), the classic BMI velocity decoder.

Time base: the filter runs on bins of ``bin_s`` seconds (ten 4 ms bins by default; one bin
when the data's own bins are at least that wide), where counts are less sparse and closer to
Gaussian than single 4 ms counts. Decimated bin j covers steps ``[j k, (j + 1) k)``; its
estimate is output from the step that completes it, ``(j + 1) k - 1``, and held until the next
bin completes. Steps before the first complete bin output the training mean velocity. Every
output step t therefore depends on steps <= t only.

Model, with centred variables (training means subtracted, which plays the role of the
constant state term of Wu et al.): state x_j = velocity (2,), ``x_j = A x_{j-1} + w``,
``w ~ N(0, W)``; observation z_j = counts of bin j (C,), ``z_j = H x_{j+l} + q``,
``q ~ N(0, Q)``. The neural lead l (neurons fire before the movement they encode, and the
filter lags its input) is chosen on the validation split from ``leads_s``. A, W, H, Q are
least-squares fits on the training split; W and Q get a small ridge on their diagonal so that
silent or duplicate channels, and more channels than bins, leave them invertible. Decoding
uses the steady-state gain (the Riccati recursion iterated to convergence in information
form, so that only 2 x 2 matrices are inverted), one small matrix product per bin.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import torch

from rat_lava.baselines.features import check_session, to_bins
from rat_lava.data.session import Session, is_bin_width
from rat_lava.errors import DataError
from rat_lava.metrics import r2_score

STATE_JITTER = 1e-6
"""Ridge on the state noise covariance W, relative to its mean diagonal."""
RICCATI_ITERATIONS = 10_000
"""Most iterations of the Riccati recursion; it converges geometrically, in tens usually."""


@dataclass(frozen=True)
class KalmanConfig:
    """Hyper-parameters of the Kalman decoder.

    Attributes:
        bin_s: width (s) of the decimated bins the filter runs on.
        leads_s: neural leads (s) tried on validation, rounded to whole decimated bins.
        regularization: ridge on the observation noise covariance Q, relative to its mean
            diagonal.
    """

    bin_s: float = 0.04
    leads_s: tuple[float, ...] = (0.0, 0.04, 0.08, 0.12, 0.16)
    regularization: float = 1e-3

    def __post_init__(self) -> None:
        leads = np.asarray(self.leads_s, dtype=np.float64)
        if not is_bin_width(self.bin_s):
            raise ValueError(f"bin_s must be a positive number of seconds, got {self.bin_s}")
        if not (np.isfinite(self.regularization) and self.regularization > 0):
            raise ValueError(f"regularization must be positive, got {self.regularization}")
        if leads.ndim != 1 or leads.size == 0 or not np.all(np.isfinite(leads) & (leads >= 0)):
            raise ValueError(f"leads_s must be non-negative seconds, got {self.leads_s}")


@dataclass(frozen=True)
class KalmanParams:
    """Learned values for C channels, per decimated bin.

    Attributes:
        count_mean: (C,) mean training counts per bin.
        velocity_mean: (2,) mean training velocity.
        transition: (2, 2) state transition A.
        observation: (C, 2) observation matrix H (counts per unit of velocity).
        gain: (2, C) steady-state Kalman gain K.
    """

    count_mean: np.ndarray
    velocity_mean: np.ndarray
    transition: np.ndarray
    observation: np.ndarray
    gain: np.ndarray

    def __post_init__(self) -> None:
        n = self.count_mean.shape[0] if self.count_mean.ndim == 1 else -1
        shapes = [getattr(self, f.name).shape for f in fields(self)]
        if shapes != [(n,), (2,), (2, 2), (n, 2), (2, n)]:
            raise ValueError(f"inconsistent Kalman shapes {shapes}")
        if not all(np.all(np.isfinite(getattr(self, f.name))) for f in fields(self)):
            raise ValueError("Kalman parameters must be finite")


def _decimate(values: np.ndarray, k: int) -> np.ndarray:
    """(T // k, ...) sums over consecutive blocks of ``k`` steps; a partial tail is left out."""
    n = values.shape[0] // k
    return values[: n * k].reshape(n, k, *values.shape[1:]).sum(axis=1, dtype=np.float64)


def _regularized(residuals: np.ndarray, relative: float) -> np.ndarray:
    """Covariance of (N, D) residuals plus ``relative`` x its mean diagonal (>= tiny) on it."""
    cov = residuals.T @ residuals / len(residuals)
    ridge = max(relative * np.trace(cov) / len(cov), np.finfo(np.float64).tiny)
    return cov + ridge * np.eye(len(cov))


def _steady_state_gain(
    transition: np.ndarray, state_cov: np.ndarray, observation: np.ndarray, obs_cov: np.ndarray
) -> np.ndarray:
    """Gain K (2, C) = P H^T Q^-1 of the converged posterior covariance P."""
    q_inv_h = np.linalg.solve(obs_cov, observation)
    information = observation.T @ q_inv_h
    posterior = state_cov
    for _ in range(RICCATI_ITERATIONS):
        prior = transition @ posterior @ transition.T + state_cov
        updated = np.linalg.inv(np.linalg.inv(prior) + information)
        converged = np.allclose(updated, posterior, rtol=1e-12, atol=0.0)
        posterior = updated
        if converged:
            break
    return posterior @ q_inv_h.T


def _fit_params(
    counts: np.ndarray, velocity: np.ndarray, lead: int, cfg: KalmanConfig
) -> KalmanParams:
    """Least-squares model of decimated counts (N, C) and mean velocities (N, 2)."""
    z, x = counts[: len(counts) - lead], velocity[lead:]
    count_mean, velocity_mean = z.mean(axis=0), x.mean(axis=0)
    z, x = z - count_mean, x - velocity_mean
    transition = np.linalg.lstsq(x[:-1], x[1:], rcond=None)[0].T
    state_cov = _regularized(x[1:] - x[:-1] @ transition.T, STATE_JITTER)
    observation = np.linalg.lstsq(x, z, rcond=None)[0].T
    obs_cov = _regularized(z - x @ observation.T, cfg.regularization)
    gain = _steady_state_gain(transition, state_cov, observation, obs_cov)
    return KalmanParams(count_mean, velocity_mean, transition, observation, gain)


class KalmanDecoder:
    """Steady-state Kalman filter of velocity on decimated spike counts, output held."""

    name = "kalman"

    def __init__(self, config: KalmanConfig | None = None) -> None:
        self.cfg = config or KalmanConfig()
        self.dt: float | None = None
        self._params: KalmanParams | None = None

    def _decimation(self, dt: float) -> int:
        """Steps per decimated bin at bin width ``dt`` (s)."""
        return to_bins(self.cfg.bin_s, dt)

    def fit(self, train: Session, val: Session) -> dict[str, Any]:
        """Fit the model for each candidate lead on ``train``; keep the best R² on ``val``.

        Returns:
            ``val_r2``, the chosen ``lead_s`` and the decimated ``bin_s`` actually used (s).

        Raises:
            DataError: if ``train`` has too few decimated bins for the longest lead.
        """
        check_session(val, train.n_channels, train.dt)
        k = self._decimation(train.dt)
        leads = sorted({round(lead / (k * train.dt)) for lead in self.cfg.leads_s})
        counts = _decimate(train.spikes, k)
        velocity = _decimate(train.velocity, k) / k
        if len(counts) < leads[-1] + 3:
            raise DataError(
                f"{train.source}: the training split has {len(counts)} bins of "
                f"{k * train.dt * 1e3:g} ms; the Kalman fit needs at least {leads[-1] + 3}"
            )
        self.dt = train.dt
        scores = {}
        for lead in leads:
            self._params = _fit_params(counts, velocity, lead, self.cfg)
            scores[lead] = r2_score(val.velocity, self.predict(val)).mean
        best = max(leads, key=scores.__getitem__)
        self._params = _fit_params(counts, velocity, best, self.cfg)
        return {"val_r2": scores[best], "lead_s": best * k * train.dt, "bin_s": k * train.dt}

    def predict(self, session: Session) -> np.ndarray:
        """Velocity (T, 2) float32; step t uses bins <= t only (see the module docstring).

        Raises:
            DataError: if ``session`` has another channel count or bin width than the fit.
        """
        if self._params is None or self.dt is None:
            raise RuntimeError("KalmanDecoder: call fit() or from_state() before predict()")
        p = self._params
        check_session(session, len(p.count_mean), self.dt)
        k = self._decimation(self.dt)
        drive = (_decimate(session.spikes, k) - p.count_mean) @ p.gain.T
        update = (np.eye(2) - p.gain @ p.observation) @ p.transition
        estimates = np.zeros((len(drive) + 1, 2))
        for j, kick in enumerate(drive):
            estimates[j + 1] = update @ estimates[j] + kick
        completed = (np.arange(session.n_steps) + 1) // k
        return (estimates[completed] + p.velocity_mean).astype(np.float32)

    def config(self) -> dict[str, Any]:
        """Hyper-parameters and the bin width ``dt`` (s) of the fit, JSON-like."""
        return {**asdict(self.cfg), "leads_s": list(self.cfg.leads_s), "dt": self.dt}

    def state(self) -> dict[str, torch.Tensor]:
        """Learned values as float64 tensors (see KalmanParams)."""
        if self._params is None:
            raise RuntimeError("KalmanDecoder: call fit() before state()")
        return {name: torch.from_numpy(value) for name, value in asdict(self._params).items()}

    @classmethod
    def from_state(cls, config: dict[str, Any], state: dict[str, torch.Tensor]) -> KalmanDecoder:
        """Rebuild a fitted decoder from ``config()`` and ``state()``.

        Raises:
            KeyError, TypeError, ValueError: if they are incomplete or inconsistent.
        """
        settings = dict(config)
        dt = settings.pop("dt")
        decoder = cls(KalmanConfig(**{**settings, "leads_s": tuple(settings["leads_s"])}))
        if not is_bin_width(dt):
            raise ValueError(f"Kalman config: dt must be a positive number of seconds, got {dt}")
        decoder.dt = float(dt)
        decoder._params = KalmanParams(
            **{f.name: np.array(state[f.name], dtype=np.float64) for f in fields(KalmanParams)}
        )
        return decoder
