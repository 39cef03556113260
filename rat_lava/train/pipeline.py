"""`rat-lava train`: load data, plan the stage, fit one model, evaluate on test, save."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from rat_lava.baselines import BASELINES
from rat_lava.data.session import Session
from rat_lava.data.sources import DEFAULT_PROTOCOL, load_data
from rat_lava.deploy.timing import substeps_for
from rat_lava.errors import CheckpointError, DataError
from rat_lava.metrics import parameter_count, r2_score
from rat_lava.train.checkpoint import load_checkpoint, save_checkpoint
from rat_lava.train.choices import (
    ABLATIONS,
    DEFAULT_QAT_EPOCHS,
    FINETUNE_MODES,
    MODEL_KINDS,
    TORCH_MODELS,
)
from rat_lava.train.loop import TrainConfig, predict_sequence, remove_resume, train_torch_model
from rat_lava.train.models import (
    build_torch_model,
    default_config,
    default_train_config,
)
from rat_lava.train.regularizers import (
    FiringRateBound,
    apply_masks,
    magnitude_masks,
    weight_sparsity,
)
from rat_lava.train.stages import StagePlan, plan_stage
from rat_lava.version import __version__


@dataclass
class StageOptions:
    """How to train: the stage, its initial checkpoint and the RAT-specific options.

    ``qat_epochs`` > 0 adds quantization-aware fine-tuning after float training (and pruning):
    that many epochs with ``RATConfig.quantize`` set (the forward pass on Lava's fixed-point
    grid), at ``qat_lr`` (default: ``QAT_LR_FACTOR`` times the float learning rate). The
    checkpoint then has ``config["quantize"] = True`` and records the phase in ``meta["qat"]``.
    None (the default) means ``DEFAULT_QAT_EPOCHS`` for the RAT and 0 for other models.

    ``step_s``: the RAT's network time step in seconds; it must divide the data's bin width.
    None (the default): ``rat_lava.deploy.timing.default_substeps`` of the bin width.

    ``subjects`` restricts the ``pretrain`` stage to the sessions of those subjects. With
    ``init`` (finetuning), training starts from that checkpoint at ``finetune_lr`` (default:
    ``FINETUNE_LR_FACTOR`` times the learning rate), keeps its velocity scale, and the initial
    weights compete with every epoch's on validation R^2.
    """

    stage: str = "single"
    init: Path | None = None
    finetune_mode: str = "full"
    train_fraction: float = 1.0
    ablations: tuple[str, ...] = ()
    rate_bound_hz: float | None = None
    prune_sparsity: float | None = None
    prune_rounds: int = 3
    qat_epochs: int | None = None
    step_s: float | None = None
    qat_lr: float | None = None
    finetune_lr: float | None = None
    subjects: tuple[str, ...] = ()


QAT_LR_FACTOR = 0.1
"""Default learning rate of quantization-aware fine-tuning, relative to the float phase's."""

FINETUNE_LR_FACTOR = 0.3
"""Default learning rate of finetuning from ``--init``, relative to training from scratch."""


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


def _check_options(model: str, opts: StageOptions) -> None:
    if model not in MODEL_KINDS:
        raise DataError(f"unknown model {model!r}; choose one of {', '.join(MODEL_KINDS)}")
    rat_only = opts.ablations or opts.rate_bound_hz or opts.prune_sparsity
    if rat_only and model != "rat":
        raise DataError("--ablation, --rate-bound and --prune apply to --model rat only")
    if model in BASELINES and (opts.stage != "single" or opts.init):
        raise DataError(f"{model} trains on one session only (no --stage or --init)")
    if opts.stage == "finetune" and opts.init is None:
        raise DataError("--stage finetune needs --init CHECKPOINT.pt")
    if opts.finetune_mode not in FINETUNE_MODES:
        raise DataError(f"unknown finetune mode {opts.finetune_mode!r}")
    if opts.finetune_mode == "input-only" and model != "rat":
        raise DataError("--finetune-mode input-only applies to --model rat only")
    for name in opts.ablations:
        if name not in ABLATIONS:
            raise DataError(f"unknown ablation {name!r}; choose from {', '.join(ABLATIONS)}")
    if opts.prune_sparsity is not None and not 0.0 < opts.prune_sparsity < 1.0:
        raise DataError(f"--prune must be a sparsity in (0, 1), got {opts.prune_sparsity}")
    if opts.qat_epochs is not None and opts.qat_epochs < 0:
        raise DataError(f"--qat-epochs must be 0 or more, got {opts.qat_epochs}")
    if opts.qat_epochs and model != "rat":
        raise DataError("--qat-epochs applies to --model rat only")
    if opts.step_s is not None and model != "rat":
        raise DataError("--step-ms applies to --model rat only")
    if opts.step_s is not None and opts.init is not None:
        raise DataError("--step-ms cannot change the network step of --init's checkpoint")


def _initial_model(
    model: str, preset: str, opts: StageOptions, plan: StagePlan, dt: float
) -> tuple[nn.Module, dict[str, Any], list[str], np.ndarray | None]:
    """A fresh model, or one initialised from ``opts.init`` with BN sets for new conditions;
    and the velocity scale (2,) of ``opts.init`` (None for a fresh model)."""
    if opts.init is None:
        substeps = None
        if opts.step_s is not None:
            try:
                substeps = substeps_for(dt, opts.step_s)
            except ValueError as exc:
                raise DataError(f"--step-ms: {exc}") from None
        config = default_config(model, preset, dt, opts.ablations, substeps)
        conditions = plan.conditions
        net = build_torch_model(model, config, plan.n_channels, conditions)
        return net, config, conditions, None
    payload = load_checkpoint(opts.init)
    if payload["model"] != model:
        raise CheckpointError(f"{opts.init}: is a {payload['model']} checkpoint, not {model}")
    config, old = payload["config"], list(payload["meta"].get("conditions", []))
    conditions = old + [c for c in plan.conditions if c not in old]
    net = build_torch_model(model, config, plan.n_channels, conditions)
    state = net.state_dict()
    for key, value in payload["state"].items():
        if key not in state or state[key].shape != value.shape:
            raise CheckpointError(
                f"{opts.init}: does not fit this data ({key}; the model was trained on "
                f"{payload['meta'].get('n_channels')} channels, the data has {plan.n_channels})"
            )
        state[key] = value
    for key in state:
        if key not in payload["state"] and ".sets." in key:
            # a new condition's BatchNorm set starts as a copy of the first condition's set
            first = key.split(".sets.")[0] + ".sets.0." + key.split(".sets.")[1].split(".", 1)[1]
            state[key] = payload["state"][first].clone()
    net.load_state_dict(state)
    scale = payload["meta"].get("velocity_scale")
    return net, config, conditions, None if scale is None else np.asarray(scale, np.float32)


def _input_only(name: str) -> bool:
    """Finetune mode "input-only": the input Rep layer and every BatchNorm set."""
    return name.startswith("embed.") or ".sets." in name


def _evaluate(net: nn.Module, plan: StagePlan, scale: np.ndarray) -> tuple[float, list[float]]:
    scores = [r2_score(t.velocity, predict_sequence(net, t, scale)) for t in plan.test]
    per_dim = np.mean([s.per_dim for s in scores], axis=0)
    return float(np.mean([s.mean for s in scores])), [float(v) for v in per_dim]


def train(
    model: str,
    data: str | Sequence[Session],
    out: Path,
    preset: str = "small",
    train_config: TrainConfig | None = None,
    progress: bool = True,
    options: StageOptions | None = None,
    protocol: str = DEFAULT_PROTOCOL,
    bin_s: float | None = None,
) -> TrainSummary:
    """Train ``model`` on ``data`` as ``options`` says and write ``out/<model>.pt``.

    ``data``: a ``--data`` specification (``rat_lava.data.sources.load_data``, read with
    ``protocol`` and, for files of spike times, bins of ``bin_s`` seconds) or the sessions
    themselves, the target first.
    """
    opts = options or StageOptions()
    _check_options(model, opts)
    if opts.qat_epochs is None:
        opts = replace(opts, qat_epochs=DEFAULT_QAT_EPOCHS if model == "rat" else 0)
    cfg = train_config or default_train_config(model)
    started = time.perf_counter()
    sessions = load_data(data, protocol, bin_s) if isinstance(data, str) else list(data)
    if not sessions:
        raise DataError("no sessions to train on")
    target = sessions[0]
    plan = plan_stage(opts.stage, sessions, opts.train_fraction, subjects=opts.subjects)
    meta: dict[str, Any] = {
        "n_channels": plan.n_channels,
        "dt": target.dt,
        "data": data if isinstance(data, str) else target.source,
        "protocol": protocol,
        "target": plan.test[-1].condition,
        "stage": opts.stage,
        "train_fraction": opts.train_fraction,
        "seed": cfg.seed,
        "train_config": asdict(cfg),
        "rat_lava_version": __version__,
    }
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = out / f"{model}.pt"
    extra: dict[str, Any] = {}
    net: nn.Module | None = None
    if model in BASELINES:
        decoder = BASELINES[model]()
        info = decoder.fit(plan.train[0], plan.val[0])
        r2 = r2_score(plan.test[0].velocity, decoder.predict(plan.test[0]))
        test_r2, per_dim = r2.mean, list(r2.per_dim)
        config, state = decoder.config(), decoder.state()
        meta["conditions"] = plan.conditions
        val_r2 = float(info["val_r2"])
    else:
        torch.manual_seed(cfg.seed)
        net, config, conditions, init_scale = _initial_model(model, preset, opts, plan, target.dt)
        meta["conditions"] = conditions
        if opts.init is not None:
            cfg = replace(cfg, lr=opts.finetune_lr or cfg.lr * FINETUNE_LR_FACTOR)
            meta["train_config"] = asdict(cfg)
        step_s = net.config.step_s if model == "rat" else target.dt
        bound = FiringRateBound(net, opts.rate_bound_hz, step_s) if opts.rate_bound_hz else None
        trainable = _input_only if opts.finetune_mode == "input-only" else None
        # one resume file per phase, kept until the end: a killed run replays finished phases
        resumes = [out / f"{model}.resume"]
        result, scale = train_torch_model(
            net,
            plan.train,
            plan.val,
            cfg,
            resume_path=resumes[0],
            extra_loss=bound,
            trainable=trainable,
            progress=progress,
            scale=init_scale,
            keep_initial=opts.init is not None,
        )
        masks = None
        for round_ in range(1, (opts.prune_rounds if opts.prune_sparsity else 0) + 1):
            masks = magnitude_masks(net, opts.prune_sparsity * round_ / opts.prune_rounds)
            apply_masks(net, masks)
            resumes.append(out / f"{model}.prune{round_}.resume")
            result, scale = train_torch_model(
                net,
                plan.train,
                plan.val,
                cfg,
                resume_path=resumes[-1],
                extra_loss=bound,
                trainable=trainable,
                after_step=lambda m=masks: apply_masks(net, m),
                progress=progress,
                scale=scale,
            )
        meta["train"] = {
            "epochs_run": result.epochs_run,
            "best_epoch": result.best_epoch,
            "windows_per_s": result.windows_per_s,
        }
        if opts.qat_epochs:
            # quantization-aware fine-tuning: the forward pass computes what the export runs
            net.config = replace(net.config, quantize=True)
            config = {**config, "quantize": True}
            qat_cfg = replace(cfg, epochs=opts.qat_epochs, lr=opts.qat_lr or cfg.lr * QAT_LR_FACTOR)
            resumes.append(out / f"{model}.qat.resume")
            result, scale = train_torch_model(
                net,
                plan.train,
                plan.val,
                qat_cfg,
                resume_path=resumes[-1],
                extra_loss=bound,
                trainable=trainable,
                after_step=None if masks is None else lambda m=masks: apply_masks(net, m),
                progress=progress,
                scale=scale,
            )
            meta["qat"] = {
                "epochs": qat_cfg.epochs,
                "lr": qat_cfg.lr,
                "epochs_run": result.epochs_run,
                "best_epoch": result.best_epoch,
            }
        if opts.prune_sparsity:
            extra["weight_sparsity"] = weight_sparsity(net)
        if bound is not None:
            bound.remove()
        test_r2, per_dim = _evaluate(net, plan, scale)
        state = net.state_dict()
        meta["velocity_scale"] = scale.tolist()
        val_r2 = result.best_val_r2
    seconds = time.perf_counter() - started
    meta.update(
        test_r2=test_r2, test_r2_per_dim=per_dim, val_r2=val_r2, train_seconds=seconds, **extra
    )
    save_checkpoint(checkpoint, model, config, state, meta)
    for resume in out.glob(f"{model}*.resume"):
        remove_resume(resume)
    return TrainSummary(
        model=model,
        checkpoint=checkpoint,
        test_r2=test_r2,
        test_r2_per_dim=tuple(per_dim),
        val_r2=val_r2,
        parameters=parameter_count(net if model in TORCH_MODELS else state),
        seconds=seconds,
        extra=extra,
    )
