import os
import pickle

import pytest
import torch

from rat_lava.errors import CheckpointError
from rat_lava.train.checkpoint import load_checkpoint, save_checkpoint


def test_round_trip(tmp_path):
    path = save_checkpoint(
        tmp_path / "m.pt",
        "ridge",
        {"lags": 3},
        {"w": torch.arange(6.0)},
        {"n_channels": 4, "dt": 0.004},
    )
    payload = load_checkpoint(path)
    assert payload["model"] == "ridge" and payload["config"] == {"lags": 3}
    assert torch.equal(payload["state"]["w"], torch.arange(6.0))
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_pickled_code_is_refused_not_executed(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "rat-lava-checkpoint", "x": Exploit()}, path)
    with pytest.raises(CheckpointError, match="not a readable rat-lava checkpoint"):
        load_checkpoint(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a readable"),
        (b"garbage" * 10, "not a readable"),
        (pickle.dumps([1, 2]), "not a readable"),
    ],
)
def test_corrupt_files(tmp_path, content, message):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)


def test_truncated_checkpoint(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", "gru", {}, {"w": torch.ones(1000)}, {})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="not a readable"):
        load_checkpoint(path)


def test_wrong_format_and_version(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"weights": torch.ones(2)}, path)
    with pytest.raises(CheckpointError, match="not a rat-lava checkpoint"):
        load_checkpoint(path)
    torch.save({"format": "rat-lava-checkpoint", "version": 99}, path)
    with pytest.raises(CheckpointError, match="version 99 is not supported"):
        load_checkpoint(path)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "none.pt")
