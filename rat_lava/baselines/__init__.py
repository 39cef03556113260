"""Baseline decoders that BMI researchers compare against.

Classical decoders follow one protocol::

    fit(train: Session, val: Session) -> dict          # includes "val_r2"
    predict(session: Session) -> np.ndarray            # (T, 2) float32, causal
    config() -> dict; state() -> dict[str, Tensor]     # for save_checkpoint
    from_state(config, state) -> decoder               # classmethod

The GRU (``gru.py``) is a PyTorch sequence model trained by ``rat_lava.train.loop``.
"""

from rat_lava.baselines.kalman import KalmanDecoder
from rat_lava.baselines.ridge import RidgeDecoder

BASELINES = {"ridge": RidgeDecoder, "kalman": KalmanDecoder}

__all__ = ["BASELINES", "KalmanDecoder", "RidgeDecoder"]
