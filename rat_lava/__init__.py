"""rat-lava: RAT spiking neural network decoders for Lava and Loihi 2."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rat_lava.version import __version__

__all__ = ["LavaDecoder", "__version__"]

if TYPE_CHECKING:
    from rat_lava.lava.decoder import LavaDecoder


def __getattr__(name: str) -> object:
    """``rat_lava.LavaDecoder`` on first use: importing rat_lava alone does not import Lava."""
    if name == "LavaDecoder":
        from rat_lava.lava.decoder import LavaDecoder

        return LavaDecoder
    raise AttributeError(f"module 'rat_lava' has no attribute {name!r}")
