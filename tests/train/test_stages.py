"""Which sessions each training stage uses (``rat_lava.train.stages.plan_stage``)."""

import pytest

from rat_lava.data.synthetic import generate_synthetic
from rat_lava.errors import DataError
from rat_lava.train.stages import plan_stage


@pytest.fixture(scope="module")
def sessions():
    return generate_synthetic(0)  # A/1 (target), A/2, A/3, B/1, B/2


def test_pretraining_uses_every_session_but_the_target(sessions):
    plan = plan_stage("pretrain", sessions)
    assert plan.conditions == ["A/2", "A/3", "B/1", "B/2"]
    assert [s.condition for s in plan.test] == plan.conditions
    assert plan.n_channels == 96 and all(s.n_channels == 96 for s in plan.train)  # B padded


def test_pretraining_can_keep_some_subjects(sessions):
    assert plan_stage("pretrain", sessions, subjects=("A",)).conditions == ["A/2", "A/3"]
    assert plan_stage("pretrain", sessions, subjects=("B",)).conditions == ["B/1", "B/2"]


def test_finetuning_uses_the_first_fraction_of_the_target(sessions):
    plan = plan_stage("finetune", sessions, train_fraction=0.1)
    full = plan_stage("single", sessions)
    assert plan.conditions == ["A/1"]
    assert plan.train[0].n_steps == round(full.train[0].n_steps * 0.1)
    assert plan.test[0].n_steps == full.test[0].n_steps  # tested on the whole test split


@pytest.mark.parametrize(
    ("stage", "subjects", "message"),
    [
        ("single", ("A",), "--subjects selects pretraining sessions"),
        ("pretrain", ("Z",), "pretraining needs sessions of subject Z besides the target"),
    ],
)
def test_bad_subject_choices_are_refused(sessions, stage, subjects, message):
    with pytest.raises(DataError, match=message):
        plan_stage(stage, sessions, subjects=subjects)
