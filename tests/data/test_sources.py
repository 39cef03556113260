"""`--data` specifications: synthetic[:SEED], .npz and .mat paths, and bad forms."""

import numpy as np
import pytest

from rat_lava.data import sources
from rat_lava.data.npz import save_npz
from rat_lava.data.session import Session
from rat_lava.data.sources import load_data
from rat_lava.errors import DataError
from tests.helpers.zenodo_layout import write_zenodo_mat

FORMS = "synthetic, synthetic:SEED (SEED a non-negative integer), a path to an .npz file"


def test_synthetic_default_is_seed_0_with_the_target_first():
    sessions = load_data("synthetic")
    assert [s.condition for s in sessions][:2] == ["A/1", "A/2"] and len(sessions) == 5
    assert sessions[0].source == "synthetic:0"


@pytest.mark.parametrize(("spec", "seed"), [("synthetic:7", 7), ("synthetic:0012", 12)])
def test_synthetic_seed_is_passed_on(monkeypatch, spec, seed):
    monkeypatch.setattr(sources, "generate_synthetic", lambda s: [f"seed {s}"])
    assert load_data(spec) == [f"seed {seed}"]


def test_npz_and_mat_paths_give_one_session(tmp_path):
    saved = Session(np.ones((20, 3)), np.zeros((20, 2)), 0.004, "x", "y", "z")
    npz = save_npz(saved, tmp_path / "rec.NPZ")
    t = np.arange(11) * 0.004
    mat = write_zenodo_mat(tmp_path / "loco_20170301_05.mat", t, np.zeros((11, 2)), [[None]])
    [from_npz] = load_data(str(npz))
    [from_mat] = load_data(str(mat))
    assert (from_npz.condition, from_npz.n_steps) == ("x/y", 20)
    assert (from_mat.condition, from_mat.spikes.shape) == ("loco/20170301_05", (10, 1))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("synthetic:-1", "bad seed '-1'"),
        ("synthetic:abc", "bad seed 'abc'"),
        ("synthetic:", "bad seed ''"),
        ("synthetic:1.5", "bad seed '1.5'"),
        ("recording.csv", "unknown kind of data"),
        ("zenodo://583331", "unknown kind of data"),
        ("missing/session.npz", "missing/session.npz: file not found"),
        ("missing/indy_20160622_01.mat", "indy_20160622_01.mat: file not found"),
    ],
)
def test_bad_specs_list_the_accepted_forms(spec, message):
    with pytest.raises(DataError) as info:
        load_data(spec)
    assert message in str(info.value) and FORMS in str(info.value)
