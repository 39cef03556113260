"""rat-lava: RAT spiking neural network decoders for Lava and Loihi 2."""

__version__ = "0.1.0"
