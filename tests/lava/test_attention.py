"""ChannelAttention in Lava computes exactly the reference product, step by step."""

import numpy as np
import pytest
from lava.proc.io.source import RingBuffer

from rat_lava.lava.io import receive_all, sequence_extractor
from rat_lava.lava.processes.attention.process import ChannelAttention
from rat_lava.lava.runtime import GuardedRuntime
from rat_lava.reference.attention import channel_attention

TOKENS, FEATURES, HEADS, SHIFT, STEPS = 6, 8, 2, 1, 60


@pytest.mark.slow
def test_channel_attention_is_bit_exact(no_leftover_children):
    rng = np.random.default_rng(5)
    spikes = [rng.integers(0, 2, (TOKENS * FEATURES, STEPS)).astype(np.int32) for _ in range(3)]
    attention = ChannelAttention(
        num_tokens=TOKENS, num_features=FEATURES, num_heads=HEADS, shift=SHIFT
    )
    for data, port in zip(spikes, (attention.q_in, attention.k_in, attention.v_in), strict=True):
        RingBuffer(data=data).s_out.connect(port)
    extractor = sequence_extractor(TOKENS * FEATURES, STEPS)
    attention.a_out.connect(extractor.in_port)
    with GuardedRuntime(attention) as runtime:
        runtime.run(STEPS)
        lava = receive_all(extractor, STEPS).astype(np.int64)
    for t in range(STEPS):  # no latency: step t's product of step t's spikes
        q, k, v = (s[:, t].reshape(TOKENS, FEATURES) for s in spikes)
        expected = channel_attention(q, k, v, HEADS, SHIFT).reshape(-1)
        assert np.array_equal(lava[t], expected), f"step {t + 1}"
    assert lava.max() > 1  # graded values actually occurred


def test_invalid_geometry_is_rejected():
    with pytest.raises(ValueError, match="multiple"):
        ChannelAttention(num_tokens=2, num_features=5, num_heads=2)
