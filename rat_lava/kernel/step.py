"""The compiled fixed-point step: every leaf of a LavaGraph, as Lava's ``fixed_pt`` models
compute them, over a block of steps (numba).

One step, in the order of the Lava leaves (and of ``rat_lava.reference.stream``):

1. every synapse sends column 0 of its buffer to its population's drive;
2. every population steps (CUBA LIF: 12-bit decays rounding toward zero, the 24-bit current
   wrap, the saturating voltage, spike and reset; integrators send v and never spike);
3. every attention product sends Q (K^T V) per head of what its q, k, v sent ``delay`` steps
   ago (this step's when 0), int32-wrapped;
4. every synapse reads its source (binary sources count a non-zero value as one spike) and
   accumulates: a Dense replaces its buffer with ``wrap32(shift(sum))`` (graded sums wrapped to
   int32 first); a DelayDense wraps each product, sums per delay, shifts, adds to its buffer
   moved one column on, and wraps.

Only non-zero inputs are visited, so a step costs its accumulates, not its matrix sizes.
"""

from __future__ import annotations

import numba
import numpy as np

from rat_lava.deploy.fixed_point import DECAY_UNITY, STATE_LIMIT

INT32_MASK = (1 << 32) - 1
INT32_HALF = 1 << 31


@numba.njit(cache=True, inline="always")
def _wrap32(x: int) -> int:
    """Two's-complement int32 wrap of an int64 value."""
    return ((x + INT32_HALF) & INT32_MASK) - INT32_HALF


@numba.njit(cache=True, inline="always")
def _decay(x: int, decay: int) -> int:
    """``sign(p) * (|p| >> 12)`` with ``p = x * (4096 - decay)``, without a branch."""
    p = x * (DECAY_UNITY - decay)
    sign = p >> 63  # 0, or -1 (all bits set) for p < 0
    return ((((p ^ sign) - sign) >> 12) ^ sign) - sign


@numba.njit(cache=True, inline="always")
def _shift(x: int, exp: int) -> int:
    return (x << exp) if exp > 0 else (x >> -exp)


@numba.njit(cache=True)
def product_into(source, q0, k0, v0, out, out0, tokens, heads, hf, shift):  # fmt: skip
    """``wrap32((Q (K^T V)) >> shift)`` per head into ``out[out0:]``.

    Q, K and V are (tokens, heads * hf) blocks of the int64 vector ``source`` starting at q0, k0
    and v0 (token-major; head h owns features [h hf, (h + 1) hf)); the result, the same shape,
    is written from ``out0`` on. Zero keys are skipped (spikes are sparse).
    """
    features = heads * hf
    kv = np.zeros((hf, hf), np.int64)
    for h in range(heads):
        kv[:, :] = 0
        for m in range(tokens):
            at = m * features + h * hf
            for j in range(hf):
                key = source[k0 + at + j]
                if key != 0:
                    for i in range(hf):
                        kv[j, i] += key * source[v0 + at + i]
        for n in range(tokens):
            at = n * features + h * hf
            for i in range(hf):
                total = 0
                for j in range(hf):
                    total += source[q0 + at + j] * kv[j, i]
                out[out0 + at + i] = _wrap32(total >> shift)


@numba.njit(cache=True)
def run_block(
    counts, record, node_start, du, dv, vth, bias, integrator,
    syn_src, syn_dst, syn_exp, syn_graded, syn_delayed, syn_nout, syn_row, syn_out,
    out_ptr, row_ptr, slots, weights, fan_ptr, fan_slots, fan_weights, prod_qkv, prod_shape,
    prod_delay, prod_node, lag,
    u, v, buf, hist, slot, sent, drive, scratch, active, active_at, active_in, rec_first, rec_last,
):  # fmt: skip
    """Advance ``len(counts)`` steps; step t's node outputs ``[rec_first, rec_last)`` go to
    ``record[t]``.

    counts (B, n_inputs) int64; record (B, rec_last - rec_first) int64. The plan arrays are
    those of ``KernelPlan``; the state (u, v, buf, hist, slot (1,), sent) is updated in place;
    drive, scratch, active, active_at and active_in are work space.
    """
    n_neurons = u.shape[0]
    n_nodes = node_start.shape[0] - 1
    for t in range(counts.shape[0]):
        # 1. synapses send
        drive[:] = 0
        for s in range(syn_src.shape[0]):
            start, q0 = node_start[syn_dst[s]], syn_out[s]
            for o in range(syn_nout[s]):
                drive[start + o] += buf[out_ptr[q0 + o]]
        # 2. neurons
        for j in range(n_neurons):
            a_in = _wrap32(drive[j])
            current = _wrap32(_decay(u[j], du[j]) + _wrap32(a_in << 6))
            if current > STATE_LIMIT:
                current -= 2 * STATE_LIMIT
            elif current <= -STATE_LIMIT:
                current += 2 * STATE_LIMIT
            voltage = _decay(v[j], dv[j]) + current + bias[j]
            voltage = min(max(voltage, -STATE_LIMIT + 1), STATE_LIMIT - 1)
            u[j] = current
            # branch-free (spikes are hard to predict): integrators send v and keep it, LIF
            # neurons send 1 and reset v to 0 above threshold
            spike = (1 - integrator[j]) * (voltage > vth[j])
            v[j] = voltage * (1 - spike)
            sent[j] = integrator[j] * voltage + spike
        # 3. attention products
        for r in range(prod_node.shape[0]):
            delay = prod_delay[r]
            source = hist[(slot[0] - delay) % lag] if delay > 0 else sent
            product_into(
                source, node_start[prod_qkv[r, 0]], node_start[prod_qkv[r, 1]],
                node_start[prod_qkv[r, 2]], sent, node_start[prod_node[r]],
                prod_shape[r, 0], prod_shape[r, 1], prod_shape[r, 2], 0,
            )  # fmt: skip
        # 4. synapses read: the non-zero entries of the input row and of every node first
        n_active_in = 0
        for i in range(counts.shape[1]):
            if counts[t, i] != 0:
                active_in[n_active_in] = i
                n_active_in += 1
        n_active = 0
        for k in range(n_nodes):
            active_at[k] = n_active
            for j in range(node_start[k], node_start[k + 1]):
                if sent[j] != 0:
                    active[n_active] = j
                    n_active += 1
        active_at[n_nodes] = n_active
        scratch[:] = 0
        # binary synapses: every spike's fan-out, plain accumulates (unsigned indices: no
        # negative-index wrap-around check in the innermost loop)
        for a in range(n_active):
            j = active[a]
            for e in range(fan_ptr[j], fan_ptr[j + 1]):
                scratch[numba.uint64(fan_slots[e])] += fan_weights[e]
        for s in range(syn_src.shape[0]):  # graded synapses: value times weight
            src = syn_src[s]
            if not syn_graded[s]:
                continue
            first, last = (0, n_active_in) if src < 0 else (active_at[src], active_at[src + 1])
            for a in range(first, last):
                i = active_in[a] if src < 0 else active[a] - node_start[src]
                x = counts[t, i] if src < 0 else sent[node_start[src] + i]
                r = syn_row[s] + i
                if syn_delayed[s]:
                    for e in range(row_ptr[r], row_ptr[r + 1]):
                        scratch[numba.uint64(slots[e])] += _wrap32(weights[e] * x)
                else:
                    for e in range(row_ptr[r], row_ptr[r + 1]):
                        scratch[numba.uint64(slots[e])] += weights[e] * x
        for s in range(syn_src.shape[0]):  # every buffer: shift, wrap, add
            exp, q0, graded = syn_exp[s], syn_out[s], syn_graded[s]
            if syn_delayed[s]:
                for q in range(q0, q0 + syn_nout[s]):
                    last = out_ptr[q + 1] - 1
                    for c in range(out_ptr[q], last):
                        buf[c] = _wrap32(buf[c + 1] + _shift(scratch[c], exp))
                    buf[last] = _wrap32(_shift(scratch[last], exp))
            else:
                for q in range(q0, q0 + syn_nout[s]):
                    at = out_ptr[q]
                    total = _wrap32(scratch[at]) if graded else scratch[at]
                    buf[at] = _wrap32(_shift(total, exp))
        # history of what every node sent, for the products' delays
        if lag > 0:
            hist[slot[0], :] = sent
            slot[0] = (slot[0] + 1) % lag
        record[t, :] = sent[rec_first:rec_last]


class CompiledStream:
    """The fixed-point graph of a ``KernelPlan`` stepped block by block with its state carried;
    starts from the zero state, like a new Lava run."""

    def __init__(self, plan) -> None:
        self.plan = plan
        n = len(plan.du)
        self._state = (
            np.zeros(n, np.int64),
            np.zeros(n, np.int64),
            np.zeros(max(plan.buffer_size, 1), np.int64),
            np.zeros((max(plan.lag, 1), plan.node_size), np.int64),
            np.zeros(1, np.int64),
            np.zeros(plan.node_size, np.int64),
        )
        self._work = (
            np.zeros(n, np.int64),
            np.zeros(max(plan.buffer_size, 1), np.int64),
            np.zeros(plan.node_size, np.int64),
            np.zeros(len(plan.node_start), np.int64),
            np.zeros(plan.n_inputs, np.int64),
        )

    def run(self, counts: np.ndarray, nodes: slice | None = None) -> np.ndarray:
        """Continue over counts (T, n_inputs); node outputs (T, node_size) int64, or only the
        entries ``nodes`` (a slice of the node vector) of each step."""
        counts = np.ascontiguousarray(counts, dtype=np.int64)
        first, last, _ = (nodes or slice(0, self.plan.node_size)).indices(self.plan.node_size)
        record = np.zeros((len(counts), last - first), np.int64)
        run_block(counts, record, *self.plan.arrays(), *self._state, *self._work, first, last)
        return record
