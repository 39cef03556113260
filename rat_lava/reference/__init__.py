"""Bit-exact numpy emulator of Lava's fixed-point models (lava-nc 0.10.0), used to check Lava.

Norse-style: parameters and state are NamedTuples, every model is a pure ``*_step`` function
``(params, state, input) -> (output, new_state)``. Modules: ``fixed_point`` (bit widths and
Lava's weight handling), ``synapse`` (Dense, DelayDense), ``neuron`` (LIF, Sigma), ``readout``
(leaky graded integrator from Sigma + self-synapse), ``attention`` (the RAT attention product),
``network`` (a chain of layers with Lava's time semantics).
"""
