"""Pretraining on other sessions and subjects helps a new session that has little data.

A small case of ``benchmarks/generalization.py``, through the same ``rat-lava train``
pipeline: a short pretraining on the four non-target sessions of the synthetic default (two
more sessions of the target's subject, two sessions of another subject with fewer channels and
other tasks), then, on 10% of the target's training split, a finetune of that model against
the same architecture trained from scratch with the same settings.
"""

import pytest

from rat_lava.train.models import default_train_config
from rat_lava.train.pipeline import StageOptions, train

FRACTION = 0.1


@pytest.mark.slow
def test_finetuning_a_pretrained_model_beats_training_from_scratch(tmp_path) -> None:
    # non-overlapping windows halve the pretraining cost
    pretrain_cfg = default_train_config("rat", epochs=2, stride_s=2.0, device="cpu")
    pretrained = train(
        "rat",
        "synthetic",
        tmp_path / "pretrain",
        train_config=pretrain_cfg,
        progress=False,
        options=StageOptions(stage="pretrain"),
    )
    small_cfg = default_train_config("rat", epochs=5, device="cpu")
    finetuned = train(
        "rat",
        "synthetic",
        tmp_path / "finetune",
        train_config=small_cfg,
        progress=False,
        options=StageOptions(stage="finetune", init=pretrained.checkpoint, train_fraction=FRACTION),
    )
    scratch = train(
        "rat",
        "synthetic",
        tmp_path / "scratch",
        train_config=small_cfg,
        progress=False,
        options=StageOptions(train_fraction=FRACTION),
    )
    # measured: finetuned about X, scratch about Y; the margin leaves room for seeds/platforms
    assert finetuned.test_r2 > scratch.test_r2 + 0.1
