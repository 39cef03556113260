"""The named choices of ``rat-lava train``, each spelled once (the CLI imports them; no torch)."""

from __future__ import annotations

from typing import Literal, get_args

from rat_lava.baselines import BASELINES

TORCH_MODELS = ("rat", "gru")
"""Models trained with PyTorch; the others (``BASELINES``) are fitted in closed form."""
MODEL_KINDS: tuple[str, ...] = (*TORCH_MODELS, *BASELINES)

Preset = Literal["small", "paper"]
"""Architecture presets of the neural models (``RATConfig.small`` / ``RATConfig.paper``)."""
PRESETS: tuple[str, ...] = get_args(Preset)

Stage = Literal["single", "pretrain", "cross-session", "finetune"]
"""Stages of the stepwise cross-condition training (``rat_lava.train.stages``)."""
STAGES: tuple[str, ...] = get_args(Stage)

FinetuneMode = Literal["full", "input-only"]
"""What finetuning trains: every weight, or the input Rep layer and the BatchNorm sets."""
FINETUNE_MODES: tuple[str, ...] = get_args(FinetuneMode)

DEFAULT_QAT_EPOCHS = 2
"""Quantization-aware fine-tuning epochs after float training of the RAT, by default: the
fixed-point export then computes what was trained (README "Network step" for the measurement)."""

ABLATIONS = {
    "no-attention": {"attention": False, "attention_residual": False},
    "no-residual": {"attention_residual": False},
    "no-reparam": {"reparam": False},
    "single-timescale": {"multi_timescale": False},
}
"""RAT ablation switches (``--ablation``) and the config fields they set."""

RAT_RECIPE = {"attention_residual": True}
"""Architecture fields ``rat-lava train --model rat`` sets beyond the preset (README "Results"
has the measurements): the residual X -> M around the attention block (synthetic:0, seeds 0
and 1: test R^2 0.8959 / 0.8788 with it, 0.8694 / 0.8765 without)."""
