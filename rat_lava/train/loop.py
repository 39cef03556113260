"""Generic PyTorch training loop for sequence decoders (GRU, RAT SNN).

A model maps spike counts ``(N, T, C)`` and an optional condition id to velocity ``(N, T, 2)``.
Targets are standardised per dimension (train statistics); the scale is returned so that the
decoder can map outputs back to data units. Each epoch ends with an atomic resume file, so a
killed run continues where it stopped and reaches the same result as an uninterrupted one.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from rat_lava.data.session import Session
from rat_lava.data.splits import training_windows
from rat_lava.errors import CheckpointError
from rat_lava.io_utils import atomic_path
from rat_lava.metrics import r2_score

RESUME_FORMAT = "rat-lava-resume"


@dataclass
class TrainConfig:
    """Optimisation settings. Durations are in seconds and converted with the data's dt.

    ``decay_lr`` is the learning rate of neuron decay parameters (parameter names containing
    ``current_decay`` or ``voltage_decay``; slayer units, 4096 = the whole state lost per step),
    which train without weight decay; None trains them like every other parameter.
    """

    epochs: int = 30
    batch_size: int = 16
    lr: float = 3e-3
    weight_decay: float = 1e-2
    decay_lr: float | None = None
    patience: int = 6
    window_s: float = 2.0
    stride_s: float = 1.0
    burn_in_s: float = 0.2
    grad_clip: float = 1.0
    seed: int = 0
    device: str = "auto"


@dataclass
class TrainResult:
    """Outcome of a training run: best validation R^2 and the epoch it was reached at."""

    best_val_r2: float
    best_epoch: int
    epochs_run: int
    seconds: float
    windows_per_s: float


def pick_device(name: str) -> torch.device:
    """``auto`` selects CUDA when present, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def velocity_scale(sessions: Sequence[Session]) -> np.ndarray:
    """Per-dimension standard deviation of the training velocity, shape (2,)."""
    velocity = np.concatenate([s.velocity for s in sessions])
    return np.maximum(velocity.std(axis=0), 1e-6).astype(np.float32)


def predict_sequence(
    model: nn.Module, session: Session, scale: np.ndarray, device: torch.device | None = None
) -> np.ndarray:
    """Run ``model`` over a whole session in one causal pass; velocity (T, 2) in data units."""
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    with torch.no_grad():
        spikes = torch.from_numpy(session.spikes.astype(np.float32))[None].to(device)
        out = model(spikes, session.condition)[0].cpu().numpy()
    model.train(was_training)
    return (out * scale).astype(np.float32)


def _batches(
    train: Sequence[Session], cfg: TrainConfig, epoch: int
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Shuffled single-condition batches for one epoch, reproducible from (seed, epoch)."""
    rng = np.random.default_rng((cfg.seed, epoch))
    batches = []
    for session in train:
        length = round(cfg.window_s / session.dt)
        stride = max(1, round(cfg.stride_s / session.dt))
        spikes, velocity = training_windows(session, length, stride)
        order = rng.permutation(len(spikes))
        for start in range(0, len(order), cfg.batch_size):
            idx = order[start : start + cfg.batch_size]
            batches.append((session.condition, spikes[idx], velocity[idx]))
    rng.shuffle(batches)
    return batches


DECAY_PARAMETERS = ("current_decay", "voltage_decay")
"""Name parts of neuron decay parameters, which ``TrainConfig.decay_lr`` applies to."""


def _param_groups(
    named: Sequence[tuple[str, nn.Parameter]], cfg: TrainConfig
) -> list[dict[str, Any]]:
    """AdamW parameter groups: decays in their own group when ``cfg.decay_lr`` is set."""
    if cfg.decay_lr is None:
        return [{"params": [p for _, p in named]}]
    is_decay = [any(part in n for part in DECAY_PARAMETERS) for n, _ in named]
    rest = [p for (_, p), d in zip(named, is_decay, strict=True) if not d]
    decays = [p for (_, p), d in zip(named, is_decay, strict=True) if d]
    groups = [{"params": rest}] if rest else []
    if decays:
        groups.append({"params": decays, "lr": cfg.decay_lr, "weight_decay": 0.0})
    return groups


def _save_resume(path: Path, state: dict[str, Any]) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def _load_resume(path: Path) -> dict[str, Any]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # any unreadable resume file is reported the same way
        raise CheckpointError(f"{path}: resume file is unreadable ({type(exc).__name__})") from None
    if not isinstance(state, dict) or state.get("format") != RESUME_FORMAT:
        raise CheckpointError(f"{path}: not a rat-lava resume file")
    return state


def train_torch_model(
    model: nn.Module,
    train: Sequence[Session],
    val: Sequence[Session],
    cfg: TrainConfig,
    resume_path: Path | None = None,
    extra_loss: Callable[[nn.Module], torch.Tensor] | None = None,
    trainable: Callable[[str], bool] | None = None,
    after_step: Callable[[], None] | None = None,
    progress: bool = True,
    scale: np.ndarray | None = None,
    keep_initial: bool = False,
) -> tuple[TrainResult, np.ndarray]:
    """Train ``model`` in place with AdamW, a cosine schedule and early stopping on val R^2.

    Args:
        model: maps (N, T, C) float counts and a condition id to (N, T, 2) standardised velocity.
        train: training sessions (one BatchNorm condition each).
        val: validation sessions; early stopping uses their mean R^2.
        cfg: optimisation settings.
        resume_path: file for the per-epoch resume state (resumed from if it exists).
        extra_loss: optional regulariser evaluated after each forward (e.g. a firing-rate bound).
        trainable: optional filter on parameter names (fine-tuning a subset).
        after_step: optional callback after every optimizer step (e.g. re-applying masks).
        progress: show a progress bar with the loss and the validation R^2.
        scale: velocity scale (2,) the model's outputs are in (a finetuned model keeps its
            pretraining's); default: the training velocity's standard deviation.
        keep_initial: the initial weights compete with every epoch's on validation R^2 (epoch
            -1), so a finetuned model is never worse on validation than the model it started
            from.

    Returns:
        The result and the velocity scale (2,) that maps model outputs to data units.
        On return the model holds the weights of the best validation epoch.
    """
    torch.manual_seed(cfg.seed)
    device = pick_device(cfg.device)
    model.to(device)
    scale = velocity_scale(train) if scale is None else np.asarray(scale, dtype=np.float32)
    scale_t = torch.from_numpy(scale).to(device)
    named = [(n, p) for n, p in model.named_parameters() if trainable is None or trainable(n)]
    for name, param in model.named_parameters():
        param.requires_grad_(trainable is None or trainable(name))
    params = [p for _, p in named]
    optimizer = torch.optim.AdamW(
        _param_groups(named, cfg), lr=cfg.lr, weight_decay=cfg.weight_decay
    )
    batches_per_epoch = len(_batches(train, cfg, 0))
    total_steps = max(1, cfg.epochs * batches_per_epoch)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))
    )
    start_epoch, best_r2, best_epoch, since_best = 0, -math.inf, -1, 0
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if resume_path is not None and resume_path.exists():
        saved = _load_resume(resume_path)
        if saved["config"] != asdict(cfg):
            raise CheckpointError(
                f"{resume_path}: resume file was written with other training settings; "
                "delete it or use the same settings"
            )
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        schedule.load_state_dict(saved["schedule"])
        torch.set_rng_state(saved["torch_rng"])
        best_state = saved["best_state"]
        start_epoch, best_r2 = saved["epoch"] + 1, saved["best_r2"]
        best_epoch, since_best = saved["best_epoch"], saved["since_best"]
    elif keep_initial:
        best_r2 = _val_r2(model, val, scale, device)
    burn_in = {s.condition: round(cfg.burn_in_s / s.dt) for s in train}

    started, windows_seen = time.perf_counter(), 0
    bar = tqdm(
        total=cfg.epochs * batches_per_epoch,
        initial=start_epoch * batches_per_epoch,
        disable=not progress,
        desc="train",
        unit="batch",
        dynamic_ncols=True,
    )
    epoch = start_epoch - 1
    try:
        for epoch in range(start_epoch, cfg.epochs):
            if since_best >= cfg.patience:
                break
            model.train()
            for condition, spikes, velocity in _batches(train, cfg, epoch):
                x = torch.from_numpy(spikes.astype(np.float32)).to(device)
                y = torch.from_numpy(velocity).to(device) / scale_t
                out = model(x, condition)
                skip = burn_in[condition]
                loss = nn.functional.mse_loss(out[:, skip:], y[:, skip:])
                if extra_loss is not None:
                    loss = loss + extra_loss(model)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(params, cfg.grad_clip)
                optimizer.step()
                schedule.step()
                if after_step is not None:
                    after_step()
                windows_seen += len(spikes)
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}", val_r2=f"{best_r2:.3f}")
            val_r2 = _val_r2(model, val, scale, device)
            if val_r2 > best_r2:
                best_r2, best_epoch, since_best = val_r2, epoch, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                since_best += 1
            bar.set_postfix(loss=f"{loss.item():.3f}", val_r2=f"{val_r2:.3f}")
            if resume_path is not None:
                _save_resume(
                    resume_path,
                    {
                        "format": RESUME_FORMAT,
                        "config": asdict(cfg),
                        "epoch": epoch,
                        "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "schedule": schedule.state_dict(),
                        "torch_rng": torch.get_rng_state(),
                        "best_state": best_state,
                        "best_r2": best_r2,
                        "best_epoch": best_epoch,
                        "since_best": since_best,
                    },
                )
    finally:
        bar.close()
    model.load_state_dict(best_state)
    seconds = time.perf_counter() - started
    result = TrainResult(
        best_val_r2=float(best_r2),
        best_epoch=best_epoch,
        epochs_run=epoch + 1,
        seconds=seconds,
        windows_per_s=windows_seen / seconds if seconds > 0 else 0.0,
    )
    return result, scale


def _val_r2(
    model: nn.Module, val: Sequence[Session], scale: np.ndarray, device: torch.device
) -> float:
    """Mean test-style R^2 of ``model`` over the validation sessions."""
    scores = [r2_score(v.velocity, predict_sequence(model, v, scale, device)).mean for v in val]
    return float(np.mean(scores))


def remove_resume(resume_path: Path) -> None:
    """Delete the resume file of a finished run."""
    if resume_path.exists():
        os.unlink(resume_path)
