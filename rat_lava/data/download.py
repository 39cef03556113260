"""Download the six NeuroBench primate-reaching sessions of Zenodo record 583331.

Downloads are resumable and atomic: bytes go to ``<name>.mat.part`` beside the target (an
interrupted download continues from there with an HTTP Range request), and ``<name>.mat``
appears only once the MD5 of the whole file matched.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from rat_lava.errors import DataError

ZENODO_URL = "https://zenodo.org/records/583331/files/{name}.mat?download=1"
"""Download address of one file of the record; ``{name}`` is a session name."""

NEUROBENCH_SESSIONS: dict[str, str] = {
    "indy_20160622_01": "c33d5fff31320d709d23fe445561fb6e",
    "indy_20160630_01": "197413a5339630ea926cbd22b8b43338",
    "indy_20170131_02": "2790b1c869564afaa7772dbf9e42d784",
    "loco_20170210_03": "4cae63b58c4cb9c8abd44929216c703b",
    "loco_20170215_02": "739b70762d838f3a1f358733c426bb02",
    "loco_20170301_05": "47342da09f9c950050c9213c3df38ea3",
}
"""Session name -> MD5 of its ``.mat`` file, as listed in the NeuroBench code
(``neurobench/datasets/primate_reaching.py``, ``md5s``); not re-checked against a download."""

CHUNK_BYTES = 1 << 20
TIMEOUT_S = 60.0
"""Seconds without data after which a download attempt fails (the .part file is kept)."""


def download_session(
    name: str,
    dest_dir: str | os.PathLike,
    *,
    url: str | None = None,
    md5: str | None = None,
    progress: bool = True,
) -> Path:
    """Download session ``name`` to ``dest_dir/<name>.mat`` and return that path.

    Args:
        name: one of NEUROBENCH_SESSIONS.
        dest_dir: destination directory (created if needed).
        url: where to fetch the file (http, https or file); default the Zenodo address.
        md5: expected MD5 hex digest; default the one of NEUROBENCH_SESSIONS.
        progress: show a tqdm progress bar.

    An existing ``<name>.mat`` with the right MD5 is returned without downloading.

    Raises:
        DataError: unknown name, network failure (the .part file is kept; call again to
            resume), or checksum mismatch (the .part file is removed, no .mat is written).
    """
    if name not in NEUROBENCH_SESSIONS:
        raise DataError(f"unknown session {name!r}; choose one of {', '.join(NEUROBENCH_SESSIONS)}")
    expected = (md5 or NEUROBENCH_SESSIONS[name]).lower()
    if not re.fullmatch(r"[0-9a-f]{32}", expected):
        raise DataError(f"md5 must be 32 hexadecimal digits, got {md5!r}")
    source = url or ZENODO_URL.format(name=name)
    final = Path(dest_dir) / f"{name}.mat"
    if final.exists():
        actual = file_md5(final)
        if actual != expected:
            raise DataError(
                f"{final}: exists but its MD5 is {actual}, expected {expected}; "
                "delete it to download again"
            )
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    part = final.with_name(final.name + ".part")
    _fetch(source, part, progress)
    actual = file_md5(part)
    if actual != expected:
        part.unlink()
        raise DataError(
            f"{source}: downloaded file has MD5 {actual}, expected {expected}; "
            f"removed {part}, nothing was written to {final}"
        )
    os.replace(part, final)
    return final


def file_md5(path: Path) -> str:
    """MD5 hex digest of the file at ``path``."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(url: str, part: Path, progress: bool) -> None:
    """Append the rest of ``url`` to ``part`` (Range request), or fetch it whole."""
    offset = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    retry = f"{part} is kept; run the download again to resume"
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=TIMEOUT_S
        ) as response:
            resumed = offset > 0 and response.status == 206
            if resumed and not response.headers.get("Content-Range", "").startswith(
                f"bytes {offset}-"
            ):
                raise DataError(f"{url}: server answered a different byte range than asked")
            start = offset if resumed else 0
            length = response.headers.get("Content-Length")
            total = start + int(length) if length else None
            with (
                open(part, "ab" if resumed else "wb") as out,
                tqdm(
                    total=total,
                    initial=start,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=part.name.removesuffix(".part"),
                    disable=not progress,
                ) as bar,
            ):
                while chunk := response.read(CHUNK_BYTES):
                    out.write(chunk)
                    bar.update(len(chunk))
                out.flush()
                os.fsync(out.fileno())
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            return
        raise DataError(f"{url}: HTTP error {exc.code} {exc.reason}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise DataError(f"{url}: download failed ({exc}); {retry}") from None
    if total is not None and part.stat().st_size != total:
        raise DataError(
            f"{url}: connection ended after {part.stat().st_size} of {total} bytes; {retry}"
        )
