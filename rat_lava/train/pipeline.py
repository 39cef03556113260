"""`rat-lava train`: load data, split, fit one model, evaluate on the test split, save."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rat_lava import __version__
from rat_lava.baselines import BASELINES
from rat_lava.data.sources import load_data
from rat_lava.data.splits import chronological_split
from rat_lava.errors import DataError
from rat_lava.metrics import parameter_count, r2_score
from rat_lava.train.checkpoint import save_checkpoint
from rat_lava.train.loop import TrainConfig, predict_sequence, remove_resume, train_torch_model
from rat_lava.train.models import TORCH_MODELS, build_torch_model, default_config

MODEL_KINDS = (*TORCH_MODELS, *BASELINES)


@dataclass
class TrainSummary:
    """What a training run produced: checkpoint path and measured scores."""

    model: str
    checkpoint: Path
    test_r2: float
    test_r2_per_dim: tuple[float, ...]
    val_r2: float
    parameters: int
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


def train(
    model: str,
    data: str,
    out: Path,
    preset: str = "small",
    train_config: TrainConfig | None = None,
    progress: bool = True,
) -> TrainSummary:
    """Train ``model`` on the target session of ``data`` and write ``out/<model>.pt``."""
    if model not in MODEL_KINDS:
        raise DataError(f"unknown model {model!r}; choose one of {', '.join(MODEL_KINDS)}")
    cfg = train_config or TrainConfig()
    started = time.perf_counter()
    target = load_data(data)[0]
    split = chronological_split(target)
    meta: dict[str, Any] = {
        "n_channels": target.n_channels,
        "dt": target.dt,
        "data": data,
        "target": target.condition,
        "conditions": [target.condition],
        "seed": cfg.seed,
        "rat_lava_version": __version__,
    }
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = out / f"{model}.pt"
    if model in BASELINES:
        decoder = BASELINES[model]()
        info = decoder.fit(split.train, split.val)
        prediction = decoder.predict(split.test)
        config, state = decoder.config(), decoder.state()
        val_r2 = float(info["val_r2"])
    else:
        config = default_config(model, preset)
        net = build_torch_model(model, config, target.n_channels, meta["conditions"])
        result, scale = train_torch_model(
            net,
            [split.train],
            split.val,
            cfg,
            resume_path=out / f"{model}.resume",
            progress=progress,
        )
        prediction = predict_sequence(net, split.test, scale)
        state = net.state_dict()
        meta["velocity_scale"] = scale.tolist()
        meta["train"] = {
            "epochs_run": result.epochs_run,
            "best_epoch": result.best_epoch,
            "windows_per_s": result.windows_per_s,
        }
        val_r2 = result.best_val_r2
    r2 = r2_score(split.test.velocity, prediction)
    meta.update(test_r2=r2.mean, test_r2_per_dim=list(r2.per_dim), val_r2=val_r2)
    save_checkpoint(checkpoint, model, config, state, meta)
    if model in TORCH_MODELS:
        remove_resume(out / f"{model}.resume")
    return TrainSummary(
        model=model,
        checkpoint=checkpoint,
        test_r2=r2.mean,
        test_r2_per_dim=r2.per_dim,
        val_r2=val_r2,
        parameters=parameter_count(state),
        seconds=time.perf_counter() - started,
    )
