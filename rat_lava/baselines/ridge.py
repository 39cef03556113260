"""Ridge regression (Wiener filter) on causal spike-count history."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from rat_lava.baselines.features import causal_chunk_sums, check_channels
from rat_lava.data.session import Session
from rat_lava.metrics import r2_score


@dataclass
class RidgeConfig:
    """History of ``n_chunks`` chunks of ``chunk_s`` seconds; penalties tried on validation."""

    chunk_s: float = 0.02
    n_chunks: int = 5
    alphas: tuple[float, ...] = (1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6)


class RidgeDecoder:
    """Linear decoder of velocity from z-scored causal count history (closed-form ridge)."""

    name = "ridge"

    def __init__(self, config: RidgeConfig | None = None) -> None:
        self.cfg = config or RidgeConfig()
        self.n_channels = 0
        self.dt = 0.0
        self.mean = self.std = self.weight = self.bias = np.zeros(0)

    def _features(self, session: Session) -> np.ndarray:
        chunk = max(1, round(self.cfg.chunk_s / session.dt))
        features = causal_chunk_sums(session.spikes, chunk, self.cfg.n_chunks)
        return (features - self.mean) / self.std

    def fit(self, train: Session, val: Session) -> dict:
        """Fit on ``train``; choose the penalty with the best R² on ``val``."""
        self.n_channels, self.dt = train.n_channels, train.dt
        chunk = max(1, round(self.cfg.chunk_s / train.dt))
        raw = causal_chunk_sums(train.spikes, chunk, self.cfg.n_chunks)
        self.mean, self.std = raw.mean(axis=0), np.maximum(raw.std(axis=0), 1e-6)
        x = (raw - self.mean) / self.std
        y_mean = train.velocity.mean(axis=0)
        gram, cross = x.T @ x, x.T @ (train.velocity - y_mean)
        best = (-np.inf, 0.0)
        for alpha in self.cfg.alphas:
            self.weight = np.linalg.solve(gram + alpha * np.eye(len(gram)), cross)
            self.bias = y_mean
            score = r2_score(val.velocity, self.predict(val)).mean
            if score > best[0]:
                best = (score, alpha)
        self.weight = np.linalg.solve(gram + best[1] * np.eye(len(gram)), cross)
        return {"val_r2": best[0], "alpha": best[1]}

    def predict(self, session: Session) -> np.ndarray:
        """Causal velocity (T, 2) float32."""
        check_channels(self.n_channels, session.n_channels, session.source)
        return (self._features(session) @ self.weight + self.bias).astype(np.float32)

    def config(self) -> dict:
        return {**asdict(self.cfg), "alphas": list(self.cfg.alphas)}

    def state(self) -> dict[str, torch.Tensor]:
        return {
            "mean": torch.from_numpy(self.mean),
            "std": torch.from_numpy(self.std),
            "weight": torch.from_numpy(self.weight),
            "bias": torch.from_numpy(np.asarray(self.bias, dtype=np.float64)),
            "n_channels": torch.tensor(self.n_channels),
        }

    @classmethod
    def from_state(cls, config: dict, state: dict[str, torch.Tensor]) -> RidgeDecoder:
        decoder = cls(RidgeConfig(**{**config, "alphas": tuple(config["alphas"])}))
        decoder.mean, decoder.std = state["mean"].numpy(), state["std"].numpy()
        decoder.weight, decoder.bias = state["weight"].numpy(), state["bias"].numpy()
        decoder.n_channels = int(state["n_channels"])
        return decoder
