"""`rat-lava run --probes`, `rat-lava compare` and `rat-lava info --cores`, driven through the
command line's entry point (in process) on a tiny exported RAT network.

The numbers of the comparison report are checked against a direct computation from the two run
files; the Loihi 2 side is a run file whose probes come from the recorded-format fixture of the
profiler adapter (shape of lava-loihi's profiler objects; not hardware data).
"""

import hashlib
import json
import re

import h5py
import numpy as np
import pytest

from rat_lava.cli import main
from rat_lava.probes.activity import COUNTERS
from rat_lava.probes.loihi2 import report_from_profilers
from rat_lava.runs.runfile import RunFile, read_run, write_run
from tests.helpers.recorded_profilers import RECORDED_FORMAT, load_recorded_profilers
from tests.helpers.tiny_rat import random_counts, save_for_export, tiny_model

STEPS = 60


def cli(capsys, *args):
    """(exit status, stdout, stderr) of ``rat-lava args``."""
    status = main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A tiny exported network, its data, and sim-float / sim-fixed run files with probes."""
    folder = tmp_path_factory.mktemp("probe_cli")
    model = tiny_model()
    save_for_export(folder / "rat.pt", model, [3.0, 0.5])
    counts = random_counts(STEPS)
    velocity = np.random.default_rng(1).normal(size=(STEPS, 2))
    np.savez(
        folder / "data.npz", spikes=counts, velocity=velocity, dt=0.004, subject="A", session="1"
    )
    paths = {"net": folder / "tiny.net", "data": folder / "data.npz"}
    assert main(["export", str(folder / "rat.pt"), "--out", str(paths["net"]), "--no-eval"]) == 0
    for backend in ("sim-float", "sim-fixed"):
        paths[backend] = folder / f"{backend}.h5"
        args = ["run", paths["net"], "--data", paths["data"], "--backend", backend, "--probes"]
        assert main([str(a) for a in [*args, "--out", paths[backend]]]) == 0
    return paths


def table(markdown: str, heading: str) -> list[list[str]]:
    """Rows (cells as text) of the first table under ``## heading``."""
    section = markdown.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def r2(truth: np.ndarray, estimate: np.ndarray) -> float:
    """Mean over dimensions of 1 - SS_res / SS_tot."""
    residual = ((truth - estimate) ** 2).sum(axis=0)
    total = ((truth - truth.mean(axis=0)) ** 2).sum(axis=0)
    return float(np.mean(1 - residual / total))


def g6(value: float) -> str:
    return f"{value:.6g}"


@pytest.mark.slow
def test_run_files_carry_probes_timing_and_provenance(files):
    run = read_run(files["sim-fixed"])
    assert run.probes is not None and run.probes.backend == "sim-fixed"
    assert run.probes.activity.per_step and run.probes.activity.num_steps == STEPS
    energy = run.probes.energy
    assert energy.source == "modelled" and energy.constants["synop_pj"] == 23.6
    assert "Davies" in energy.constant_sources["synop_pj"]
    assert run.timing["run_s"] > 0 and run.timing["steps_per_s"] > 0
    assert run.meta["network_sha256"] == hashlib.sha256(files["net"].read_bytes()).hexdigest()
    assert "lava-nc 0.10.0" in run.meta["package_versions"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", run.meta["created"])


@pytest.mark.slow
def test_compare_sim_float_with_sim_fixed_report_numbers(files, tmp_path, capsys):
    out = tmp_path / "report"
    status, stdout, _ = cli(capsys, "compare", files["sim-float"], files["sim-fixed"], "--out", out)
    assert status == 0
    assert {p.name for p in out.iterdir()} == {"report.md", "velocity.png", "core_activity.png"}
    for png in ("velocity.png", "core_activity.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    markdown = (out / "report.md").read_text()
    a, b = read_run(files["sim-float"]), read_run(files["sim-fixed"])
    outputs = dict(table(markdown, "Decoded outputs"))
    difference = np.abs(b.velocity - a.velocity)
    assert difference.max() > 0  # float and fixed point differ
    assert outputs["max abs difference (data units)"] == g6(difference.max())
    first = int(np.flatnonzero(difference.max(axis=1) > 0)[0])
    assert outputs["first divergent step (abs(B - A) > 0)"] == str(first)
    assert outputs["R2 A vs ground truth"].startswith(g6(r2(a.ground_truth, a.velocity)) + " ")
    assert outputs["R2 B vs ground truth"].startswith(g6(r2(b.ground_truth, b.velocity)) + " ")
    assert outputs["R2 B vs A"].startswith(g6(r2(a.velocity, b.velocity)) + " ")
    assert f"max abs difference {g6(difference.max())}" in stdout
    layers = {row[0]: row[1:] for row in table(markdown, "Spikes per layer")}
    assert set(layers) == set(a.spikes)
    for name, (spikes_a, spikes_b, delta, equal, *_) in layers.items():
        assert (int(spikes_a), int(spikes_b)) == (a.spikes[name].sum(), b.spikes[name].sum())
        assert int(delta) == b.spikes[name].sum() - a.spikes[name].sum()
        assert equal == g6(np.mean(a.spikes[name] == b.spikes[name]))
    cores = table(markdown, "Per-core activity (run totals)")
    assert len(cores) == a.probes.activity.cores == b.probes.activity.cores
    for row, index in zip(cores, range(len(cores)), strict=True):
        assert row[2] == a.probes.core_labels[index]
        for k, name in enumerate(COUNTERS):
            total_a = int(getattr(a.probes.activity, name)[:, index].sum())
            total_b = int(getattr(b.probes.activity, name)[:, index].sum())
            assert [int(x) for x in row[3 + 3 * k : 6 + 3 * k]] == [
                total_a,
                total_b,
                total_b - total_a,
            ]
    energy = {row[0]: row[1:] for row in table(markdown, "Energy and time")}
    for run, column in ((a, 0), (b, 1)):
        per_step_nj = run.probes.energy.total_energy_j / STEPS * 1e9
        assert energy["energy per decoded step (nJ)"][column] == g6(per_step_nj)
        assert energy["host wall clock: run_s"][column] == g6(run.timing["run_s"])
    metadata = {row[0]: row[1:] for row in table(markdown, "Metadata")}
    assert metadata["backend"] == ["sim-float", "sim-fixed"]
    assert metadata["network_sha256"][0] == metadata["network_sha256"][1]


@pytest.mark.slow
def test_thresholds_give_a_nonzero_exit_and_one_message(files, tmp_path, capsys):
    args = ["compare", files["sim-float"], files["sim-fixed"]]
    status, stdout, stderr = cli(capsys, *args, "--max-diff", 1e-12, "--out", tmp_path)
    assert status == 1 and (tmp_path / "report.md").is_file()
    assert stderr.count("\n") == 1 and "--max-diff 1e-12" in stderr and "Traceback" not in stderr
    assert "FAILED" in (tmp_path / "report.md").read_text()
    status, stdout, stderr = cli(capsys, *args, "--min-r2", 1.5)
    assert status == 1 and "--min-r2 1.5" in stderr and stderr.count("\n") == 1
    assert stdout.startswith("# rat-lava compare")  # no --out: the report on stdout
    status, _, stderr = cli(capsys, *args, "--max-diff", 1e6, "--min-r2", -1e6)
    assert status == 0 and stderr == ""


def hardware_run(sim: RunFile) -> RunFile:
    """A loihi2 run file of the same bins whose probes come from the recorded-format fixture."""
    objects, _ = load_recorded_profilers()
    probes = report_from_profilers(
        objects["Loihi2Power"],
        objects["Loihi2ExecutionTime"],
        objects["Loihi2Activity"],
        objects["Loihi2Memory"],
        num_steps=sim.steps,
        dt_s=0.004,
    )
    meta = {**sim.meta, "backend": "loihi2"}
    return RunFile(sim.velocity, sim.ground_truth, sim.spikes, meta, {}, probes)


@pytest.mark.slow
def test_compare_a_simulated_run_with_a_hardware_run_file(files, tmp_path, capsys):
    sim = read_run(files["sim-fixed"])
    write_run(tmp_path / "loihi2.h5", hardware_run(sim))
    hw = read_run(tmp_path / "loihi2.h5")
    assert hw.probes.source == "measured" and not hw.probes.activity.per_step
    out = tmp_path / "report"
    status, _, _ = cli(capsys, "compare", files["sim-fixed"], tmp_path / "loihi2.h5", "--out", out)
    assert status == 0 and (out / "core_activity.png").is_file()
    markdown = (out / "report.md").read_text()
    outputs = dict(table(markdown, "Decoded outputs"))
    assert outputs["max abs difference (data units)"] == "0"
    assert outputs["first divergent step (abs(B - A) > 0)"] == "none"
    cores = {(row[0], row[1]): row for row in table(markdown, "Per-core activity (run totals)")}
    assert len(cores) == sim.probes.activity.cores  # the chip's cores 0-2 are among the sim's
    syn_ops_hw = dict(zip(hw.probes.activity.core_idx, hw.probes.activity.syn_ops, strict=True))
    for (_, core), row in cores.items():
        total_a = int(sim.probes.activity.syn_ops[:, int(core)].sum())
        assert int(row[3]) == total_a
        assert row[4] == (str(syn_ops_hw[int(core)]) if int(core) in syn_ops_hw else "-")
    energy = {row[0]: row[1:] for row in table(markdown, "Energy and time")}
    assert energy["source"] == ["modelled", "measured"]
    assert energy["time per step (µs)"][1] == g6(11.5)
    mean_w = np.mean(json.loads(RECORDED_FORMAT.read_text())["Loihi2Power"]["total_power"])
    assert energy["energy per decoded step (nJ)"][1] == g6(mean_w * 11.5e-6 * 1e9)


def test_compare_refuses_runs_of_different_data(tmp_path, capsys):
    rng = np.random.default_rng(0)
    for name, steps in (("a.h5", 30), ("b.h5", 20)):
        truth = rng.normal(size=(steps, 2))
        write_run(tmp_path / name, RunFile(truth, truth, {}, {"backend": "sim-fixed"}))
    status, _, stderr = cli(
        capsys, "compare", tmp_path / "a.h5", tmp_path / "b.h5", "--out", tmp_path / "o"
    )
    assert status == 2 and stderr.startswith("rat-lava: error:") and stderr.count("\n") == 1
    assert "a.h5 has 30 decoded steps" in stderr and "b.h5 has 20" in stderr
    assert not (tmp_path / "o").exists()
    (tmp_path / "notes.h5").write_text("not a run")
    status, _, stderr = cli(capsys, "compare", tmp_path / "a.h5", tmp_path / "notes.h5")
    assert status == 2 and "notes.h5: not a rat-lava run file" in stderr


def test_run_files_without_probes_still_read(tmp_path):
    """The layout written before probes, timing and provenance existed."""
    path = tmp_path / "old.h5"
    with h5py.File(path, "w") as handle:
        handle.attrs.update(format="rat-lava-run", version=1, backend="sim-fixed", dt=0.004)
        handle["velocity"] = np.zeros((5, 2))
        handle["ground_truth"] = np.ones((5, 2))
        handle.create_group("spikes")["x"] = np.arange(5)
    run = read_run(path)
    assert run.probes is None and run.timing == {} and run.meta["backend"] == "sim-fixed"
    np.testing.assert_array_equal(run.spikes["x"], np.arange(5))


@pytest.mark.slow
def test_info_cores_prints_the_core_map_and_warns_where_a_layer_cannot_fit(files, capsys):
    status, stdout, _ = cli(capsys, "info", files["net"], "--cores")
    assert status == 0
    assert "cores used: 10 on 1 chip(s)" in stdout and "attn.coincidence[0:512]" in stdout
    assert "warning" not in stdout
    status, stdout, _ = cli(capsys, "info", files["net"], "--cores", "--core-synapses", 20)
    assert status == 0
    assert "limits per core: 8192 neurons, 20 synapses" in stdout
    assert "warning: neuron group mlp cannot fit: a neuron has" in stdout
    assert "more than the 20 of a core's synaptic memory" in stdout
    assert "warning: neuron group attn.coincidence" not in stdout  # 3 synapses per neuron
