"""Resolve a ``--data`` specification to Sessions; the first one is the target."""

from __future__ import annotations

import re
from pathlib import Path

from rat_lava.data.npz import load_npz
from rat_lava.data.session import Session
from rat_lava.data.synthetic import generate_synthetic
from rat_lava.data.zenodo import load_zenodo_mat
from rat_lava.errors import DataError

ACCEPTED_FORMS = (
    "synthetic, synthetic:SEED (SEED a non-negative integer), a path to an .npz file "
    "(spikes, velocity, dt), or a path to a Zenodo 583331 indy_*/loco_* .mat file"
)


def load_data(spec: str) -> list[Session]:
    """Sessions named by ``spec``: ``synthetic[:SEED]``, ``PATH.npz`` or ``PATH.mat``.

    ``synthetic`` is seed 0 of the default synthetic set (several sessions); a file gives
    one session. Raises DataError listing the accepted forms for anything else.
    """
    if spec == "synthetic":
        return generate_synthetic(0)
    if spec.startswith("synthetic:"):
        seed = spec.removeprefix("synthetic:")
        if not re.fullmatch(r"[0-9]+", seed):
            raise DataError(f"--data {spec!r}: bad seed {seed!r}; --data accepts {ACCEPTED_FORMS}")
        return generate_synthetic(int(seed))
    suffix = Path(spec).suffix.lower()
    if suffix not in (".npz", ".mat"):
        raise DataError(f"--data {spec!r}: unknown kind of data; --data accepts {ACCEPTED_FORMS}")
    if not Path(spec).is_file():
        raise DataError(f"{spec}: file not found; --data accepts {ACCEPTED_FORMS}")
    return [load_npz(spec) if suffix == ".npz" else load_zenodo_mat(spec)]
