"""Resolve a ``--data`` specification to Sessions; the first one is the target."""

from __future__ import annotations

import re
from pathlib import Path

from rat_lava.constants import DEFAULT_DT
from rat_lava.data.neurobench import SAMPLE_S, load_neurobench_session
from rat_lava.data.npz import load_npz
from rat_lava.data.nwb import load_nwb
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
    "velocity, dt), a path to a Zenodo 583331 indy_*/loco_* .mat file, a path to an NWB file "
    "(.nwb, e.g. a DANDI / Neural Latents Benchmark session), or "
    + ", ".join(EXAMPLES)
    + " (the embedded real recording)"
)

DEFAULT_PROTOCOL = "rat-lava"
"""The project's own reading of data: spike counts per bin, velocity in the data's units, the
chronological 70/10/20 split (``rat_lava.data.splits``)."""

NEUROBENCH = "neurobench"
"""NeuroBench's primate-reaching protocol (``rat_lava.data.neurobench``): Zenodo .mat only."""

PROTOCOLS = (DEFAULT_PROTOCOL, NEUROBENCH)


def load_data(
    spec: str, protocol: str = DEFAULT_PROTOCOL, bin_s: float | None = None
) -> list[Session]:
    """Sessions named by ``spec``: ``synthetic[:SEED]``, an ``EXAMPLES`` name, ``PATH.npz``,
    ``PATH.mat`` or ``PATH.nwb``, read as ``protocol`` says.

    ``synthetic`` is seed 0 of the default synthetic set (several sessions); an example or a
    file gives one session. ``bin_s`` is the bin width (s) of files of spike times (.mat,
    .nwb; default 4 ms); binned data keep their own. Raises DataError listing the accepted
    forms for anything else, and for a protocol that does not apply to ``spec``.
    """
    if protocol not in PROTOCOLS:
        raise DataError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    if protocol == NEUROBENCH:
        return [_neurobench_session(spec, bin_s)]
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
    if suffix not in (".npz", ".mat", ".nwb"):
        raise DataError(f"--data {spec!r}: unknown kind of data; --data accepts {ACCEPTED_FORMS}")
    if not Path(spec).is_file():
        raise DataError(f"{spec}: file not found; --data accepts {ACCEPTED_FORMS}")
    if suffix == ".npz":
        return [load_npz(spec)]
    dt = DEFAULT_DT if bin_s is None else bin_s
    return [load_zenodo_mat(spec, dt) if suffix == ".mat" else load_nwb(spec, dt)]


def _neurobench_session(spec: str, bin_s: float | None) -> Session:
    """The Zenodo file ``spec`` under NeuroBench's protocol (its bins are 4 ms)."""
    if Path(spec).suffix.lower() != ".mat":
        raise DataError(
            f"--data {spec!r}: the NeuroBench protocol reads the Zenodo 583331 primate-reaching "
            "sessions (indy_*.mat, loco_*.mat; `rat-lava download all`)"
        )
    if bin_s is not None and abs(bin_s - SAMPLE_S) > 1e-9:
        raise DataError(
            f"the NeuroBench protocol bins at {SAMPLE_S * 1e3:g} ms, not {bin_s * 1e3:g} ms"
        )
    return load_neurobench_session(spec)


def session_of(sessions: list[Session], condition: str) -> Session:
    """The session of ``condition`` (``subject/session``), else the first one."""
    return next((s for s in sessions if s.condition == condition), sessions[0])


def select_session(
    spec: str, condition: str, protocol: str = DEFAULT_PROTOCOL, bin_s: float | None = None
) -> Session:
    """The bins ``rat-lava run`` decodes from ``--data spec``: an ``.npz`` file in full, other
    data (synthetic, the embedded examples, .mat, .nwb) the test split (``protocol``'s) of the
    session of ``condition`` (else of the first session)."""
    session = session_of(load_data(spec, protocol, bin_s), condition)
    if Path(spec).suffix.lower() == ".npz":
        return session
    return chronological_split(session).test
