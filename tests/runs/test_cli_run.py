"""`rat-lava run FILE.net --data D --backend B --out RUN.h5`, driven as a user drives it."""

import numpy as np
import pytest

from rat_lava.data.sources import select_session
from rat_lava.export.netfile import read_net
from rat_lava.metrics import r2_score
from rat_lava.runs.runfile import read_run
from tests.helpers.cli import assert_user_error, run_cli
from tests.helpers.tiny_rat import CHANNELS, random_counts, save_for_export, tiny_model

STEPS = 60
SCALE = [3.0, 0.5]


@pytest.fixture(scope="module")
def net_file(tmp_path_factory):
    """A tiny RAT checkpoint exported with `rat-lava export` (no R2 measurement)."""
    folder = tmp_path_factory.mktemp("net")
    model = tiny_model()
    ckpt = folder / "rat.pt"
    save_for_export(ckpt, model, SCALE)
    path = folder / "tiny.net"
    result = run_cli("export", ckpt, "--out", path, "--no-eval")
    assert result.returncode == 0, result.stderr
    return path


def write_npz(path, channels=CHANNELS, subject="A", session="1"):
    counts = random_counts(STEPS)[:, :channels]
    velocity = np.random.default_rng(1).normal(size=(STEPS, 2)).astype(np.float32)
    np.savez(path, spikes=counts, velocity=velocity, dt=0.004, subject=subject, session=session)
    return counts, velocity


@pytest.mark.slow
def test_run_writes_a_run_file_that_evaluate_scores(net_file, tmp_path):
    counts, velocity = write_npz(tmp_path / "data.npz")
    out = tmp_path / "run.h5"
    result = run_cli("run", net_file, "--data", tmp_path / "data.npz", "--out", out)
    assert result.returncode == 0, result.stderr
    run = read_run(out)
    network = read_net(net_file).network
    trace = network.run(counts)
    assert np.array_equal(run.velocity, trace.velocity * SCALE)  # whole .npz, sim-fixed: exact
    assert np.array_equal(run.ground_truth, velocity)
    assert set(run.spikes) == {"x", "q", "k", "v", "a", "u", "mlp"}
    assert np.array_equal(run.spikes["u"], trace.outputs["u"].sum(axis=1))
    assert run.meta["backend"] == "sim-fixed" and run.meta["attention_model"] == "fused"
    r2 = r2_score(velocity, run.velocity).mean
    assert f"R2 = {r2:.4f}" in result.stdout
    scored = run_cli("evaluate", out)
    assert scored.returncode == 0 and f"R2 = {r2:.4f}" in scored.stdout


@pytest.mark.slow
def test_a_session_of_the_folded_condition_with_fewer_channels_is_padded(net_file, tmp_path):
    counts, _ = write_npz(tmp_path / "data.npz", channels=CHANNELS - 2)
    out = tmp_path / "run.h5"
    result = run_cli("run", net_file, "--data", tmp_path / "data.npz", "--out", out)
    assert result.returncode == 0, result.stderr
    padded = np.hstack([counts, np.zeros((STEPS, 2), np.int64)])
    expected = read_net(net_file).network.run(padded).velocity * SCALE
    assert np.array_equal(read_run(out).velocity, expected)


@pytest.mark.parametrize(
    ("case", "fragments"),
    [
        ("channels", ["expects 12 input channels", "data.npz has 5"]),
        ("loihi2", ["backend 'loihi2' needs Intel's lava-loihi", "INRC"]),
        ("corrupt", ["broken.net"]),
        ("fused-float", ["fused network model runs in the backend 'sim-fixed' only"]),
    ],
)
def test_user_errors_end_in_one_line_and_no_file(net_file, tmp_path, case, fragments):
    write_npz(tmp_path / "data.npz", channels=5, subject="Z")
    network = net_file
    args = ["--data", tmp_path / "data.npz"]
    if case == "loihi2":
        write_npz(tmp_path / "data.npz")
        args += ["--backend", "loihi2"]
    if case == "fused-float":
        write_npz(tmp_path / "data.npz")
        args += ["--backend", "sim-float", "--network-model", "fused"]
    if case == "corrupt":
        network = tmp_path / "broken.net"
        network.write_bytes(net_file.read_bytes()[:2000])
    out = tmp_path / "run.h5"
    assert_user_error(run_cli("run", network, *args, "--out", out), *fragments)
    assert {p.name for p in tmp_path.iterdir()} <= {"data.npz", "broken.net"}  # nothing written


def test_synthetic_data_decodes_the_test_split_of_the_folded_condition():
    session = select_session("synthetic", "A/2")
    assert session.condition == "A/2" and session.n_steps == 6000  # 20 % of 30000 bins
    assert select_session("synthetic", "nobody").condition == "A/1"
