"""Reference of the RAT attention product (see rat_lava/lava/processes/attention/process.py)."""

import numpy as np

from rat_lava.deploy.fixed_point import wrap_int32


def channel_attention(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, num_heads: int, shift: int
) -> np.ndarray:
    """``(Q (K^T V)) >> shift`` per head, integer.

    q, k, v: (..., N, d) integers (spikes 0/1 or graded payloads); head h owns features
    [h * d / H, (h + 1) * d / H). Returns (..., N, d) int64 holding the int32 values Lava sends:
    out[n, i] = (sum_j q[n, j] * sum_m k[m, j] * v[m, i]) >> shift, j in the head of i.
    """
    q, k, v = (np.asarray(x, dtype=np.int64) for x in (q, k, v))
    *batch, tokens, features = q.shape
    per_head = features // num_heads
    qh, kh, vh = (x.reshape(*batch, tokens, num_heads, per_head) for x in (q, k, v))
    kv = np.einsum("...mhj,...mhi->...hji", kh, vh)
    out = np.einsum("...nhj,...hji->...nhi", qh, kv).reshape(q.shape)
    return wrap_int32(out >> shift)


def delayed_channel_attention(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, num_heads: int, shift: int, delay: int
) -> np.ndarray:
    """What ChannelAttention sends at each step: the product of the spikes ``delay`` steps back.

    q, k, v: (T, N, d) spikes per step. Returns (T, N, d) int64: step t holds
    ``channel_attention`` of step t - delay, zeros for t < delay.
    """
    product = channel_attention(q, k, v, num_heads, shift)
    out = np.zeros_like(product)
    out[delay:] = product[: len(product) - delay]
    return out
