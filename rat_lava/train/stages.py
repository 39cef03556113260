"""Which sessions each training stage uses (DESIGN.md §2, stepwise cross-condition training).

The first session of the data is the target. Stages:

* ``single``: the target's train split; validated and tested on the target.
* ``pretrain``: every other session (other sessions, subjects and tasks; only those of
  ``subjects`` when given), one BatchNorm set each; validated and tested on those sessions' own
  splits.
* ``cross-session``: every session of the target's subject, including the target.
* ``finetune``: the target only (optionally the first ``train_fraction`` of its train split),
  starting from ``--init``.

Sessions with fewer channels than the model are zero-padded (channel counts differ between
subjects); a session with more channels than the model is an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from rat_lava.data.session import Session, pad_channels
from rat_lava.data.splits import Split, chronological_split
from rat_lava.errors import DataError
from rat_lava.train.choices import STAGES


@dataclass(frozen=True)
class StagePlan:
    """Train, validation and test sessions of a stage, all padded to ``n_channels``."""

    train: list[Session]
    val: list[Session]
    test: list[Session]
    n_channels: int

    @property
    def conditions(self) -> list[str]:
        """Condition ids of the training sessions, in order, without repeats."""
        return list(dict.fromkeys(s.condition for s in self.train))


def plan_stage(
    stage: str,
    sessions: list[Session],
    train_fraction: float = 1.0,
    n_channels: int | None = None,
    subjects: tuple[str, ...] = (),
) -> StagePlan:
    """Select and split the sessions of ``stage``; ``n_channels`` fixes the model's input size;
    ``subjects`` (pretrain only) keeps the sessions of those subjects."""
    if stage not in STAGES:
        raise DataError(f"unknown stage {stage!r}; choose one of {', '.join(STAGES)}")
    if not 0.0 < train_fraction <= 1.0:
        raise DataError(f"--train-fraction must be in (0, 1], got {train_fraction}")
    target = sessions[0]
    if subjects and stage != "pretrain":
        raise DataError("--subjects selects pretraining sessions: use it with --stage pretrain")
    if stage == "pretrain":
        chosen = [s for s in sessions[1:] if not subjects or s.subject in subjects]
        if not chosen:
            which = f" of subject {', '.join(subjects)}" if subjects else ""
            raise DataError(
                f"{target.source}: pretraining needs sessions{which} besides the target"
            )
    elif stage == "cross-session":
        chosen = [s for s in sessions[1:] if s.subject == target.subject] + [target]
    else:
        chosen = [target]
    width = n_channels or max(s.n_channels for s in sessions)
    splits: list[Split] = [chronological_split(pad_channels(s, width)) for s in chosen]
    train = [sp.train for sp in splits]
    if train_fraction < 1.0:
        train = [t.slice(0, max(1, round(t.n_steps * train_fraction))) for t in train]
    evaluated = splits if stage == "pretrain" else splits[-1:]
    return StagePlan(
        train=train,
        val=[sp.val for sp in evaluated],
        test=[sp.test for sp in evaluated],
        n_channels=width,
    )
