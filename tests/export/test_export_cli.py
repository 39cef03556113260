"""`rat-lava export` and `rat-lava info` on a RAT checkpoint trained by `rat-lava train`."""

import json

import numpy as np
import pytest

from rat_lava.cli import main
from rat_lava.data.npz import load_npz
from rat_lava.data.splits import chronological_split
from rat_lava.export.netfile import read_net
from rat_lava.export.validate import SCHEMA_VERSION
from rat_lava.metrics import r2_score
from rat_lava.train.checkpoint import load_checkpoint
from rat_lava.train.choices import DEFAULT_QAT_EPOCHS
from tests.helpers.export_helpers import tiny_npz


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`rat-lava train --model rat` (small preset, 1 epoch) on a 40 s, 16-channel session."""
    root = tmp_path_factory.mktemp("cli")
    data = tiny_npz(root / "tiny.npz", duration_s=40.0, channels=16)
    args = ["--data", str(data), "--epochs", "1", "--no-progress"]
    assert main(["train", "--model", "rat", "--out", str(root / "rat"), *args]) == 0
    assert main(["train", "--model", "ridge", "--out", str(root / "ridge"), *args]) == 0
    return root, data


@pytest.mark.slow
def test_export_then_info(trained, capsys):
    root, data = trained
    checkpoint, out = root / "rat" / "rat.pt", root / "exports" / "tiny.net"
    capsys.readouterr()
    assert main(["export", str(checkpoint), "--out", str(out), "--timescale-groups", "2"]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed and "test R2 on" in printed
    assert "float" in printed and "quantized" in printed and "grouped (2)" in printed

    netfile = read_net(out)
    card, network = netfile.card, netfile.network
    meta = load_checkpoint(checkpoint)["meta"]
    # the stored R^2 is the one of the network in the file, on the test split of the data
    test = chronological_split(load_npz(data)).test
    scale = np.asarray(card["velocity_scale"])
    stored = card["r2"]["grouped"]
    assert stored == r2_score(test.velocity, network.simulate(test.spikes) * scale).mean
    # the trained model ends with quantization-aware epochs (the default): it computes what the
    # quantized export computes (float64 here, float32 in torch)
    assert meta["qat"]["epochs"] == DEFAULT_QAT_EPOCHS
    assert abs(card["r2"]["quantized"] - meta["test_r2"]) < 1e-3
    assert card["r2"]["steps"] == test.n_steps and card["r2"]["data"] == str(data)
    assert card["training"]["conditions"] == meta["conditions"]
    assert card["channels"] == 16 and card["dt_s"] == 0.004 and card["latency_steps"] == 8
    assert card["quantization"]["timescale_groups"] == 2
    assert all(len(pairs) <= 2 for pairs in card["quantization"]["decay_groups"].values())
    assert card["netx"]["stock_loadable"] is False

    assert main(["info", str(out)]) == 0
    info = capsys.readouterr().out
    for text in (
        f"schema {SCHEMA_VERSION}",
        "16 input channels",
        "latency 8 steps",
        "dense_rec",
        "integrator",
        "x -> u",
        "attention product attn",
        "R2 at export",
        "timescale groups: 2",
        f"{sum(layer.size for layer in network.layers)} neurons",
    ):
        assert text in info, text


@pytest.mark.slow
def test_export_without_evaluation(trained, capsys):
    root, _ = trained
    out = root / "noeval.net"
    assert main(["export", str(root / "rat" / "rat.pt"), "--out", str(out), "--no-eval"]) == 0
    assert "R2 not evaluated" in capsys.readouterr().out
    card = read_net(out).card
    assert card["r2"] is None and card["quantization"]["timescale_groups"] is None
    assert json.loads(json.dumps(card)) == card


@pytest.mark.slow
def test_user_errors_are_one_line(trained, tmp_path, capsys):
    root, _ = trained
    checkpoint = str(root / "rat" / "rat.pt")
    out = tmp_path / "x.net"
    cases = [
        (["export", str(root / "ridge" / "ridge.pt"), "--out", str(out)], "not a RAT SNN"),
        (["export", checkpoint, "--out", str(out), "--condition", "Z/9"], "unknown condition"),
        (["export", checkpoint, "--out", str(out), "--timescale-groups", "0"], "at least 1"),
        (["export", str(tmp_path / "none.pt"), "--out", str(out)], "checkpoint file not found"),
        (["info", str(tmp_path / "none.net")], ".net file not found"),
    ]
    truncated = tmp_path / "cut.net"
    main(["export", checkpoint, "--out", str(truncated), "--no-eval"])
    truncated.write_bytes(truncated.read_bytes()[:5000])
    cases.append((["info", str(truncated)], "truncated or corrupt"))
    capsys.readouterr()
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("rat-lava: error: ") and message in err, (argv, err)
        assert err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_help(capsys):
    for command in ("export", "info"):
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "--timescale-groups" in text and "--condition" in text and ".net" in text
