"""Resolve a ``--data`` specification to Sessions; the first one is the target."""

from __future__ import annotations

import re
from pathlib import Path

from rat_lava.data.npz import load_npz
from rat_lava.data.session import Session
from rat_lava.data.splits import chronological_split
from rat_lava.data.synthetic import generate_synthetic
from rat_lava.data.zenodo import load_zenodo_mat
from rat_lava.errors import DataError

EXAMPLE_DIR = Path(__file__).parent / "examples"
"""Real recordings shipped inside the package, each with its licence and README."""

REAL_EXAMPLE = "s1"
"""``--data`` name of the embedded real recording: 29 min of 52 units in S1 area 2 of a
macaque, 50 ms bins (MIT licence, ``examples/README.md``); the demo's default data."""

EXAMPLES = {REAL_EXAMPLE: "s1_area2_reaching.npz"}
"""Short ``--data`` names of the embedded real examples and their files in ``EXAMPLE_DIR``."""

ACCEPTED_FORMS = (
    "synthetic, synthetic:SEED (SEED a non-negative integer), a path to an .npz file (spikes, "
    "velocity, dt), a path to a Zenodo 583331 indy_*/loco_* .mat file, or "
    + ", ".join(EXAMPLES)
    + " (the embedded real recording)"
)


def load_data(spec: str) -> list[Session]:
    """Sessions named by ``spec``: ``synthetic[:SEED]``, an ``EXAMPLES`` name, ``PATH.npz`` or
    ``PATH.mat``.

    ``synthetic`` is seed 0 of the default synthetic set (several sessions); an example or a
    file gives one session. Raises DataError listing the accepted forms for anything else.
    """
    if spec in EXAMPLES:
        return [load_npz(EXAMPLE_DIR / EXAMPLES[spec])]
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


def session_of(sessions: list[Session], condition: str) -> Session:
    """The session of ``condition`` (``subject/session``), else the first one."""
    return next((s for s in sessions if s.condition == condition), sessions[0])


def select_session(spec: str, condition: str) -> Session:
    """The bins ``rat-lava run`` decodes from ``--data spec``: an ``.npz`` file in full, other
    data (synthetic, the embedded examples, .mat) the test split of the session of
    ``condition`` (else of the first session)."""
    session = session_of(load_data(spec), condition)
    if Path(spec).suffix.lower() == ".npz":
        return session
    return chronological_split(session).test
