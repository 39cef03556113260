"""GradedIntegrator: CUBA leaky-integrator neurons that send their voltage every time step.

The RAT readout is a layer of CUBA neurons that never spike; the decoder needs their voltage at
every step. Lava 0.10.0 has no library neuron that leaks *and* sends its state (the LIF sends
binary spikes, ``sdn.Sigma`` does not leak, ``graded.GradedVec`` forgets its input every step),
so this process keeps the LIF's interface and dynamics and changes only what leaves the neuron:

    u[t] = u[t-1] (1 - du') + a_in[t]            (du' = (du + 1) / 4096 in fixed point)
    v[t] = v[t-1] (1 - dv)  + u[t] + bias
    s_out[t] = v[t]                               (graded, every step; v never resets)

with exactly the arithmetic of Lava's LIF models (fixed point: the same rounding toward zero,
24-bit wrap of u, saturation of v, bias_mant << bias_exp; float: du, dv as fractions). On
Loihi 2 this is a CUBA compartment whose output is a graded spike carrying v (24-bit payload);
lava-loihi 0.x ships no neuro-core model for this process, so on ``Loihi2HwCfg`` it runs as its
Python model on the host (see docs/lava_notes.md).
"""

from __future__ import annotations

import numpy as np
from lava.proc.lif.process import AbstractLIF


class GradedIntegrator(AbstractLIF):
    """Non-spiking CUBA neurons whose output port carries their voltage v every step.

    Parameters (Vars of Lava's ``AbstractLIF``, same meaning and units as for ``LIF``)
    ----------
    shape: neuron layout.
    du, dv: current and voltage decays (fixed point: 12-bit integers, scalar or per neuron;
        float: fractions lost per step).
    bias_mant, bias_exp: bias added to v every step, ``bias_mant << bias_exp`` in fixed point
        (``bias_mant`` in float).
    u, v: initial current and voltage.

    Ports
    -----
    a_in: InPort, synaptic input.
    s_out: OutPort, v after this step's update (graded spike).
    """

    def __init__(
        self,
        *,
        shape: tuple[int, ...],
        du: float | np.ndarray = 0,
        dv: float | np.ndarray = 0,
        bias_mant: float | np.ndarray = 0,
        bias_exp: float | np.ndarray = 0,
        u: float | np.ndarray = 0,
        v: float | np.ndarray = 0,
        name: str | None = None,
    ) -> None:
        super().__init__(
            shape=shape,
            u=u,
            v=v,
            du=du,
            dv=dv,
            bias_mant=bias_mant,
            bias_exp=bias_exp,
            name=name,
            log_config=None,
        )
