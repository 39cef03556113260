"""ChannelAttention in Lava computes exactly the reference product, step by step."""

import numpy as np
import pytest
from lava.proc.io.source import RingBuffer

from rat_lava.lava.io import receive_all, sequence_extractor
from rat_lava.lava.processes.attention.process import ChannelAttention
from rat_lava.lava.runtime import GuardedRuntime
from rat_lava.reference.attention import delayed_channel_attention

TOKENS, FEATURES, HEADS, SHIFT, STEPS = 6, 8, 2, 1, 60


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0, 3])
def test_channel_attention_is_bit_exact(no_leftover_children, delay):
    rng = np.random.default_rng(5)
    spikes = [rng.integers(0, 2, (TOKENS * FEATURES, STEPS)).astype(np.int32) for _ in range(3)]
    attention = ChannelAttention(
        num_tokens=TOKENS, num_features=FEATURES, num_heads=HEADS, shift=SHIFT, delay=delay
    )
    for data, port in zip(spikes, (attention.q_in, attention.k_in, attention.v_in), strict=True):
        RingBuffer(data=data).s_out.connect(port)
    extractor = sequence_extractor(TOKENS * FEATURES, STEPS)
    attention.a_out.connect(extractor.in_port)
    with GuardedRuntime(attention) as runtime:
        runtime.run(STEPS)
        lava = receive_all(extractor, STEPS).astype(np.int64)
    q, k, v = (s.T.reshape(STEPS, TOKENS, FEATURES) for s in spikes)
    expected = delayed_channel_attention(q, k, v, HEADS, SHIFT, delay).reshape(STEPS, -1)
    assert np.array_equal(lava, expected)  # step t sends the product of step t - delay
    assert not lava[:delay].any()
    assert lava.max() > 1  # graded values actually occurred


def test_invalid_geometry_is_rejected():
    with pytest.raises(ValueError, match="multiple"):
        ChannelAttention(num_tokens=2, num_features=5, num_heads=2)
