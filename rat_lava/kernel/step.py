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

INT32_MASK = (1 << 32) - 1
INT32_HALF = 1 << 31
STATE_LIMIT = 1 << 23
DECAY_UNITY = 1 << 12


@numba.njit(cache=True, inline="always")
def _wrap32(x: int) -> int:
    """Two's-complement int32 wrap of an int64 value."""
    return ((x + INT32_HALF) & INT32_MASK) - INT32_HALF


@numba.njit(cache=True, inline="always")
def _decay(x: int, decay: int) -> int:
    """``sign(p) * (|p| >> 12)`` with ``p = x * (4096 - decay)``."""
    p = x * (DECAY_UNITY - decay)
    return (p >> 12) if p >= 0 else -((-p) >> 12)


@numba.njit(cache=True, inline="always")
def _shift(x: int, exp: int) -> int:
    return (x << exp) if exp > 0 else (x >> -exp)


@numba.njit(cache=True)
def run_block(
    counts, record, node_start, pop_count, du, dv, vth, bias, integrator,
    syn_src, syn_dst, syn_exp, syn_graded, syn_delayed, syn_cols, syn_nin, syn_nout, syn_row,
    syn_buf, row_ptr, targets, weights, delays, prod_qkv, prod_shape, prod_delay, prod_node, lag,
    u, v, buf, hist, slot, sent, drive, scratch,
):  # fmt: skip
    """Advance ``len(counts)`` steps; step t's node outputs go to ``record[t]``.

    counts (B, n_inputs) int64; record (B, node_size) int64. The plan arrays are those of
    ``KernelPlan``; the state (u, v, buf, hist, slot (1,), sent) is updated in place; drive and
    scratch are work space.
    """
    n_neurons = u.shape[0]
    for t in range(counts.shape[0]):
        # 1. synapses send
        drive[:] = 0
        for s in range(syn_src.shape[0]):
            start = node_start[syn_dst[s]]
            cols = syn_cols[s]
            base = syn_buf[s]
            for o in range(syn_nout[s]):
                drive[start + o] += buf[base + o * cols]
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
            if integrator[j]:
                v[j] = voltage
                sent[j] = voltage
            elif voltage > vth[j]:
                v[j] = 0
                sent[j] = 1
            else:
                v[j] = voltage
                sent[j] = 0
        # 3. attention products
        for r in range(prod_node.shape[0]):
            tokens, heads, hf = prod_shape[r, 0], prod_shape[r, 1], prod_shape[r, 2]
            features = heads * hf
            delay = prod_delay[r]
            source = hist[(slot[0] - delay) % lag] if delay > 0 else sent
            q0 = node_start[prod_qkv[r, 0]]
            k0 = node_start[prod_qkv[r, 1]]
            v0 = node_start[prod_qkv[r, 2]]
            out0 = node_start[prod_node[r]]
            kv = np.zeros((hf, hf), np.int64)
            for h in range(heads):
                kv[:, :] = 0
                for m in range(tokens):
                    at = m * features + h * hf
                    for jj in range(hf):
                        key = source[k0 + at + jj]
                        if key != 0:
                            for i in range(hf):
                                kv[jj, i] += key * source[v0 + at + i]
                for n in range(tokens):
                    at = n * features + h * hf
                    for i in range(hf):
                        total = 0
                        for jj in range(hf):
                            total += source[q0 + at + jj] * kv[jj, i]
                        sent[out0 + at + i] = _wrap32(total)
        # 4. synapses read
        for s in range(syn_src.shape[0]):
            n_out, n_in, cols = syn_nout[s], syn_nin[s], syn_cols[s]
            base, r0 = syn_buf[s], syn_row[s]
            src = syn_src[s]
            delayed = syn_delayed[s]
            scratch[: n_out * cols] = 0
            for i in range(n_in):
                x = counts[t, i] if src < 0 else sent[node_start[src] + i]
                if x == 0:
                    continue
                if not syn_graded[s]:
                    x = 1
                for e in range(row_ptr[r0 + i], row_ptr[r0 + i + 1]):
                    if delayed:
                        scratch[targets[e] * cols + delays[e]] += _wrap32(weights[e] * x)
                    else:
                        scratch[targets[e]] += weights[e] * x
            exp = syn_exp[s]
            if syn_delayed[s]:
                for o in range(n_out):
                    at = base + o * cols
                    for c in range(cols):
                        moved = buf[at + c + 1] if c + 1 < cols else 0
                        buf[at + c] = _wrap32(moved + _shift(scratch[o * cols + c], exp))
            else:
                for o in range(n_out):
                    total = _wrap32(scratch[o]) if syn_graded[s] else scratch[o]
                    buf[base + o] = _wrap32(_shift(total, exp))
        # history of what every node sent, for the products' delays
        if lag > 0:
            hist[slot[0], :] = sent
            slot[0] = (slot[0] + 1) % lag
        record[t, :] = sent


class CompiledStream:
    """The fixed-point graph of a ``KernelPlan`` stepped block by block with its state carried;
    starts from the zero state, like a new Lava run."""

    def __init__(self, plan) -> None:
        self.plan = plan
        n = len(plan.du)
        self._state = (
            np.zeros(n, np.int64),
            np.zeros(n, np.int64),
            np.zeros(plan.buffer_size, np.int64),
            np.zeros((max(plan.lag, 1), plan.node_size), np.int64),
            np.zeros(1, np.int64),
            np.zeros(plan.node_size, np.int64),
            np.zeros(n, np.int64),
            np.zeros(int(max((plan.syn_nout * plan.syn_cols).max(initial=0), 1)), np.int64),
        )

    def run(self, counts: np.ndarray) -> np.ndarray:
        """Continue over counts (T, n_inputs); node outputs (T, node_size) int64."""
        counts = np.ascontiguousarray(counts, dtype=np.int64)
        record = np.zeros((len(counts), self.plan.node_size), np.int64)
        run_block(counts, record, *self.plan.arrays(), *self._state)
        return record
