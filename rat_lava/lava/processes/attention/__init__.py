"""Multi-head linear channel attention as one Lava process: process.py (interface), models.py
(fused numpy and decomposed Loihi-native ProcessModels), decomposition.py (the decomposition's
wiring and neuron/synapse counts)."""
