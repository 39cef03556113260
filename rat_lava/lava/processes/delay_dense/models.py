"""CPU ProcessModels of ``lava.proc.dense.process.DelayDense`` that cache the delay matrix.

Lava 0.10.0's models (``lava/proc/dense/models.py``, ``AbstractPyDelayDenseModel.calc_act``)
rebuild ``max_delay + 1`` masked copies of the weight matrix and multiply all of them by the
input at every time step, even for binary spikes (measured: 1.2 ms per step for 384 x 128
synapses with delays up to 4, against 0.01 ms for a Dense). The weights and delays of a
non-learning DelayDense never change, so these subclasses build the stacked matrix once; the
fixed-point model also skips the rows without any weight (most slots of a matrix whose delays
are mostly 0) and the columns of zero inputs. Everything else (weight
clipping and truncation, ``weight_exp``, the buffer shift) is Lava's code, so the results are
the same integers (int32 products, int64 sums) and the same floats (same summation order).
``rat_lava.lava.builder`` selects these models through ``exception_proc_model_map``.
"""

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
from lava.proc.dense.models import PyDelayDenseModelBitAcc, PyDelayDenseModelFloat
from lava.proc.dense.process import DelayDense


class _CachedDelayWeights:
    """Keeps the stacked (delays x outputs, inputs) weight matrix after its first use."""

    _stacked: np.ndarray | None = None

    def _stacked_weights(self) -> np.ndarray:
        if self._stacked is None:
            max_delay = self.a_buff.shape[-1] - 1
            self._stacked = self.get_delay_wgts_mat(self.weights, self.delays, max_delay)
        return self._stacked

    def _per_slot(self, summed: np.ndarray) -> np.ndarray:
        """(slots * n_out,) sums -> (n_out, slots), Lava's layout of ``calc_act``."""
        return summed.reshape(self.a_buff.shape[-1], self.weights.shape[0]).T


@implements(proc=DelayDense, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyDelayDenseModelCachedFixed(_CachedDelayWeights, PyDelayDenseModelBitAcc):
    """Bit-accurate DelayDense (Lava's ``PyDelayDenseModelBitAcc``) with a cached matrix."""

    _rows: np.ndarray | None = None
    _compact: np.ndarray | None = None

    def calc_act(self, s_in: np.ndarray) -> np.ndarray:
        """This step's input per delay slot, (n_out, max_delay + 1).

        Only the (slot, output) rows that hold a non-zero weight and the columns of non-zero
        inputs are multiplied; the same dtypes as Lava's give the same int32 products, and the
        skipped terms are zeros.
        """
        if self._compact is None:
            stacked = self._stacked_weights()
            self._rows = np.flatnonzero(stacked.any(axis=1))
            self._compact = stacked[self._rows]
        active = np.flatnonzero(s_in)
        if s_in.dtype == bool:
            partial = self._compact[:, active].sum(axis=1)
        else:
            partial = (self._compact[:, active] * s_in[active]).sum(axis=1)
        summed = np.zeros(len(self._stacked), dtype=partial.dtype)
        summed[self._rows] = partial
        return self._per_slot(summed)


@implements(proc=DelayDense, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyDelayDenseModelCachedFloat(_CachedDelayWeights, PyDelayDenseModelFloat):
    """Floating-point DelayDense (Lava's ``PyDelayDenseModelFloat``) with a cached matrix."""

    def calc_act(self, s_in: np.ndarray) -> np.ndarray:
        """This step's input per delay slot, (n_out, max_delay + 1); Lava's own product and
        sum over all columns, so that floating-point sums are added in the same order."""
        return self._per_slot(np.sum(self._stacked_weights() * s_in, axis=1))
