"""``--protocol neurobench`` against the neurobench package itself, on a Zenodo-layout file."""

from __future__ import annotations

import numpy as np
import pytest
from neurobench.datasets import PrimateReaching

from rat_lava.data.neurobench import load_neurobench_session, primate_reaching_arrays
from rat_lava.data.splits import chronological_split
from rat_lava.errors import DataError
from tests.helpers.zenodo_layout import write_zenodo_mat


def reaching_file(path, seed=0, n=4000, t0=512.3417, n_reaches=37):
    """A Zenodo-layout session: 4 ms samples from ``t0``, 6 channels x 3 units (some empty),
    Poisson spikes (one exactly on a bin edge, one on the last edge), a smooth cursor and
    ``n_reaches`` constant targets."""
    rng = np.random.default_rng(seed)
    t = t0 + 0.004 * np.arange(n)
    cursor = np.cumsum(np.cumsum(rng.normal(size=(n, 2)), axis=0), axis=0) * 1e-3
    starts = np.sort(rng.choice(np.arange(1, n), n_reaches - 1, replace=False))
    target = np.zeros((n, 2))
    for k, start in enumerate(starts):
        target[start:] = rng.uniform(-50, 50, 2) + k
    spikes = []
    for channel in range(6):
        units = []
        for unit in range(3):
            if (channel + unit) % 4 == 3:
                units.append(None)
                continue
            count = rng.poisson(30 * n * 0.004)
            units.append(np.sort(rng.uniform(t[0] - 0.01, t[-1] + 0.01, count)))
        spikes.append(units)
    spikes[0][0] = np.sort(np.append(spikes[0][0], [t[100] - 0.004, t[-1]]))
    return write_zenodo_mat(path, t, cursor, spikes, target_pos=target)


@pytest.mark.parametrize("name", ["indy_20160622_01", "loco_20170210_03"])
def test_arrays_equal_neurobench_primate_reaching(tmp_path, name):
    path = reaching_file(tmp_path / f"{name}.mat", seed=len(name))
    ours = primate_reaching_arrays(path)
    theirs = PrimateReaching(
        file_path=str(tmp_path),
        filename=name,
        num_steps=1,
        train_ratio=0.5,
        bin_width=0.004,
        biological_delay=0,
        remove_segments_inactive=False,
        download=False,
    )
    np.testing.assert_array_equal(ours.inputs.T, theirs.samples.numpy())
    assert ours.inputs.dtype == np.int8 and set(np.unique(ours.inputs)) <= {0, 1}
    np.testing.assert_array_equal(ours.labels.T, theirs.labels.numpy())
    for mine, their in [
        (ours.train, theirs.ind_train),
        (ours.val, theirs.ind_val),
        (ours.test, theirs.ind_test),
    ]:
        np.testing.assert_array_equal(mine, np.asarray(their, dtype=np.int64))
    # their sample of index j: the input row j and the label j
    j = int(ours.test[5])
    sample, label = theirs[j]
    np.testing.assert_array_equal(sample.numpy()[0], ours.inputs[j])
    np.testing.assert_array_equal(label.numpy(), ours.labels[j])


def test_session_split_is_neurobench_split(tmp_path):
    path = reaching_file(tmp_path / "indy_20170131_02.mat")
    arrays = primate_reaching_arrays(path)
    session = load_neurobench_session(path)
    split = chronological_split(session)
    assert (split.train.n_steps, split.val.n_steps, split.test.n_steps) == (
        arrays.train.size,
        arrays.val.size,
        arrays.test.size,
    )
    np.testing.assert_array_equal(split.test.spikes, arrays.inputs[arrays.test])
    np.testing.assert_array_equal(split.test.velocity, arrays.labels[arrays.test])
    assert session.dt == 0.004 and (session.subject, session.session) == ("indy", "20170131_02")
    # a piece of the session no longer carries the protocol's boundaries
    assert split.test.split_at is None


def test_one_reach_is_refused(tmp_path):
    path = reaching_file(tmp_path / "indy_1.mat", n_reaches=1)
    with pytest.raises(DataError, match="too few reaches"):
        load_neurobench_session(path)


def test_file_without_target_pos_is_refused(tmp_path):
    import h5py

    path = reaching_file(tmp_path / "indy_2.mat")
    with h5py.File(path, "a") as handle:
        del handle["target_pos"]
    with pytest.raises(DataError, match="target_pos"):
        load_neurobench_session(path)
