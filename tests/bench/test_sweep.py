"""The sweep behind benchmarks/results.py and benchmarks/ablations.py."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from rat_lava.bench.sweep import VARIANTS, Job, Measurement, jobs_of, mean_sd, run_jobs, table
from rat_lava.train.pipeline import _check_options
from tests.helpers.cli import run_benchmark
from tests.helpers.export_helpers import tiny_npz


def test_every_variant_is_a_valid_train_command():
    for variant in VARIANTS.values():
        _check_options(variant.model, variant.options)  # raises on a combination train refuses
    assert VARIANTS["rat-pruned"].command == "--model rat --prune 0.7 --rate-bound 50"
    assert VARIANTS["rat-no-attention"].command == "--model rat --ablation no-attention"
    assert VARIANTS["rat-paper"].command == "--model rat --config paper"
    assert not VARIANTS["ridge"].seeded and VARIANTS["gru"].seeded


def test_jobs_and_their_folders():
    jobs = jobs_of(["synthetic:0", "data/indy_1.mat"], ["rat", "ridge"], [3, 4])
    assert jobs == [
        Job("synthetic:0", "rat", 3),
        Job("synthetic:0", "rat", 4),
        Job("synthetic:0", "ridge", 3),
        Job("data/indy_1.mat", "rat", 3),
        Job("data/indy_1.mat", "rat", 4),
        Job("data/indy_1.mat", "ridge", 3),
    ]
    out = Path("o")
    assert jobs[0].directory(out) == out / "synthetic-0" / "rat" / "seed3"
    assert jobs[3].directory(out) == out / "indy_1" / "rat" / "seed3"


def _measured(test_r2: float, lava_r2: float = math.nan) -> Measurement:
    return Measurement(test_r2, test_r2 - 0.01, 1000, 60.0, 10, lava_r2, 5.0, 1.0, 2.0, 0.5)


def test_table_means_spread_and_paired_change():
    results = {
        Job("d", "rat", 0): _measured(0.70, 0.70),
        Job("d", "rat", 1): _measured(0.80, 0.80),
        Job("d", "gru", 0): _measured(0.75),
        Job("d", "gru", 1): _measured(0.95),
        Job("other", "gru", 0): _measured(0.10),
    }
    text = table(results, "d", ["rat", "gru", "ridge"], baseline="rat")
    rows = {line.split(" | ")[0]: line for line in text.splitlines()[2:]}
    assert set(rows) == {"| `rat`", "| `gru`"}  # ridge has no result; "other" is another data set
    assert "| 2 | 0.7500 ± 0.0707 | 0.7500 ± 0.0707 |" in rows["| `rat`"]
    assert "| 2 | 0.8500 ± 0.1414 | - |" in rows["| `gru`"]
    assert rows["| `gru`"].endswith("| +0.1000 (n=2) |")
    assert rows["| `rat`"].endswith("| - |")
    assert mean_sd([0.5, math.nan]) == "0.5000" and mean_sd([math.nan]) == "-"


@pytest.mark.slow
def test_sweep_trains_decodes_in_lava_and_reuses_finished_jobs(tmp_path):
    data = str(tiny_npz(tmp_path / "tiny.npz"))
    out = tmp_path / "bench"
    jobs = jobs_of([data], ["rat", "ridge"], [0, 1])
    results = run_jobs(jobs, out, workers=2, progress=False, epochs=1)
    assert list(results) == jobs  # in the jobs' order, ridge once
    for job in jobs[:2]:
        rat = results[job]
        # the quantization-aware model computes what Lava sim-fixed runs (R² in float32 vs float64)
        assert rat.lava_r2 == pytest.approx(rat.test_r2, abs=1e-6)
        assert rat.acs_per_s > 0 and rat.energy_per_bin_uj > 0 and rat.epochs == 3
        assert (job.directory(out) / "sim_fixed.h5").exists()
    ridge = results[jobs[2]]
    assert math.isnan(ridge.lava_r2) and ridge.macs_per_s > 0 and ridge.acs_per_s == 0
    cached = jobs[0].directory(out) / "measurement.json"
    stamp = cached.stat().st_mtime_ns
    again = run_jobs(jobs, out, workers=1, progress=False, epochs=1)
    as_json = [json.dumps(asdict(m)) for m in results.values()]  # NaN != NaN, its JSON is equal
    assert [json.dumps(asdict(m)) for m in again.values()] == as_json
    assert cached.stat().st_mtime_ns == stamp
    assert json.loads(cached.read_text())["test_r2"] == results[jobs[0]].test_r2


def test_results_script_writes_its_table(tmp_path):
    data = str(tiny_npz(tmp_path / "tiny.npz"))
    out = tmp_path / "bench"
    report = tmp_path / "tables" / "baselines.md"
    args = ["--data", data, "--seeds", "0", "--variants", "ridge", "kalman", "--out", str(out)]
    args += ["--report", str(report)]
    done = run_benchmark("results.py", *args, "--no-progress", timeout=300)
    written = report.read_text(encoding="utf-8")
    assert report.with_suffix(".png").stat().st_size > 10_000
    assert not (out / "results.md").exists()
    assert written.strip() in done.stdout
    assert "| `ridge` | 1 |" in written and "| `kalman` | 1 |" in written
    assert "--variants ridge kalman" in written  # the command that made it heads the table


def test_results_script_neurobench_protocol_summary(tmp_path):
    from tests.data.test_neurobench_protocol import reaching_file

    sessions = [
        reaching_file(tmp_path / f"{name}.mat", seed=k)
        for k, name in enumerate(["indy_20160622_01", "indy_20170131_02", "loco_20170210_03"])
    ]
    out, report = tmp_path / "bench", tmp_path / "nb.md"
    args = ["--protocol", "neurobench", "--data", *map(str, sessions), "--seeds", "0"]
    args += ["--variants", "ridge", "--out", str(out), "--report", str(report), "--no-progress"]
    run_benchmark("results.py", *args, timeout=300)
    text = report.read_text(encoding="utf-8")
    row = next(
        line for line in text.splitlines() if line.startswith("| `ridge` |") and "(2)" in line
    )
    cells = [c.strip() for c in row.split("|")[1:-1]]
    assert cells[1].endswith("(2)") and cells[2].endswith("(1)")  # 2 Indy, 1 Loco sessions
    per_session = [
        json.loads(
            (out / f"neurobench-{s.stem}" / "ridge" / "seed0" / "measurement.json").read_text()
        )["test_r2"]
        for s in sessions
    ]
    assert float(cells[3]) == pytest.approx(np.mean(per_session), abs=1e-4)
    assert "protocol neurobench" in text
