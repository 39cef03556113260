"""The RAT SNN model: multi-timescale RLIF neurons, Rep layers, spiking attention, readout."""

from rat_lava.deploy.network import FoldedNetwork
from rat_lava.model.config import RATConfig
from rat_lava.model.rat import RATSNN

__all__ = ["FoldedNetwork", "RATConfig", "RATSNN"]
