"""`rat-lava run`: decode a data set with an exported network in Lava and write a run file.

What is decoded (DESIGN section 4): an ``.npz`` in full; ``synthetic`` and ``.mat`` data the test
split (``chronological_split``) of the session the network was folded for (its BatchNorm
condition), or of the first session when none matches. The session of that condition may have
fewer channels than the network (trained with sessions of other subjects): zero channels are
appended as in training; any other channel mismatch is an error.

The run file records where the run came from (``provenance``: the SHA-256 of the .net file,
package versions, the date) and its wall-clock timing; with ``probes`` also per-core activity,
energy and time (``rat_lava.probes``).
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.metadata
import math
import platform
from pathlib import Path

from rat_lava.data.session import pad_channels
from rat_lava.data.sources import DEFAULT_PROTOCOL, select_session
from rat_lava.errors import DataError
from rat_lava.lava.decoder import LavaDecoder
from rat_lava.metrics import r2_score
from rat_lava.runs.runfile import RunFile, write_run
from rat_lava.version import __version__

PACKAGES = ("lava-nc", "lava-dl", "numpy", "h5py", "torch")
"""Distributions whose versions a run file records (besides Python and rat-lava)."""


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_versions() -> str:
    """ "python X, rat-lava Y, lava-nc Z, ..." for the packages a run depends on."""
    versions = [f"python {platform.python_version()}", f"rat-lava {__version__}"]
    for name in PACKAGES:
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} not installed")
    return ", ".join(versions)


def provenance(network: Path) -> dict[str, str]:
    """Run-file metadata on what ran: export file hash, package versions, UTC date (ISO 8601)."""
    return {
        "network_sha256": file_sha256(network),
        "package_versions": package_versions(),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def run_network(
    network: Path,
    data: str,
    backend: str,
    out: Path,
    attention_model: str | None = None,
    probes: bool = False,
    steps: int | None = None,
    network_model: str = "leaves",
    protocol: str | None = None,
) -> str:
    """Decode ``data`` with the ``.net`` file ``network`` on ``backend`` and write ``out``
    (with per-core probes if ``probes``; only the first ``steps`` bins if given; the network
    as Lava leaves or, ``network_model="fused"``, as one FusedNetwork process). ``data`` is
    read with ``protocol`` (default: the one the network was trained with) and, for files of
    spike times, binned at the network's bin width.

    Returns a one-line summary with the R2 of the decoded velocity (and, with probes, the
    energy per decoded step).
    """
    with LavaDecoder(
        network,
        backend,
        attention_model=attention_model,
        network_model=network_model,
        probes=probes,
    ) as decoder:
        if steps is not None and steps < 1:
            raise DataError(f"--steps must be at least 1, got {steps}")
        trained = decoder.card.get("training", {}).get("protocol") or DEFAULT_PROTOCOL
        protocol = protocol or trained
        if protocol != trained:
            raise DataError(
                f"{network}: the network was trained under the {trained!r} protocol; decode "
                f"with --protocol {trained}, not {protocol}"
            )
        session = select_session(
            data, decoder.network.condition, protocol, bin_s=decoder.network.dt
        )
        if steps is not None:
            session = session.slice(0, min(steps, session.n_steps))
        if session.condition == decoder.network.condition:  # zero channels, as in training
            session = pad_channels(session, decoder.n_channels)
        if session.n_channels != decoder.n_channels:
            raise DataError(
                f"{network}: the network expects {decoder.n_channels} input channels, "
                f"{data} has {session.n_channels}"
            )
        if not math.isclose(session.dt, decoder.network.dt, rel_tol=1e-6):
            raise DataError(
                f"{network}: the network runs on {decoder.network.dt * 1e3:g} ms bins, "
                f"{data} has {session.dt * 1e3:g} ms bins"
            )
        decoded = decoder.record(session.spikes)
    meta = {
        "backend": backend,
        "attention_model": decoder.attention_model,
        "network_model": decoder.network_model,
        "network": str(network),
        "data": data,
        "protocol": protocol,
        "source": session.source,
        "condition": session.condition,
        "dt": session.dt,
        "n_channels": session.n_channels,
        "step_s": decoder.network.step_s,
        "substeps": decoder.network.substeps,
        "read_delay": decoder.network.read_delay,
        "latency_steps": decoder.latency_steps,
        "latency_ms": decoder.network.latency_ms,
        "rat_lava_version": __version__,
        **provenance(network),
    }
    run = RunFile(
        decoded.velocity, session.velocity, decoded.spikes, meta, decoded.timing, decoded.probes
    )
    write_run(out, run)
    r2 = r2_score(run.ground_truth, run.velocity)
    net = decoder.network
    summary = (
        f"wrote {out} ({run.steps} bins of {net.dt * 1e3:g} ms = {net.timing.n_steps(run.steps)} "
        f"network steps of {net.step_s * 1e3:g} ms, latency {net.latency_ms:g} ms, {backend}): "
        f"R2 = {r2.mean:.4f}"
    )
    if decoded.probes is not None:
        summary += (
            f"; probes: {decoded.probes.activity.cores} cores, {decoded.probes.source} energy "
            f"{decoded.probes.energy_per_bin_j * 1e9:.3g} nJ per decoded bin"
        )
    return summary
