"""Loihi 2 profiler objects read from the recorded-format fixture of tests/probes/fixtures/."""

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np

RECORDED_FORMAT = (
    Path(__file__).resolve().parents[1] / "probes" / "fixtures" / "loihi2_recorded_format.json"
)
"""Shape of lava-loihi's profiler objects; not hardware data."""


def load_recorded_profilers() -> tuple[dict[str, SimpleNamespace], int]:
    """One fresh object per profiler with exactly the attributes of the JSON file, and
    num_steps."""
    data = json.loads(RECORDED_FORMAT.read_text())
    objects = {
        name: SimpleNamespace(**{k: np.asarray(v) for k, v in fields.items()})
        for name, fields in data.items()
        if name.startswith("Loihi2")
    }
    return objects, int(data["num_steps"])
