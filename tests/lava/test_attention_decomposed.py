"""The decomposed ChannelAttention (Loihi-native leaves) equals the fused model bit for bit."""

from collections import Counter

import numpy as np
import pytest
from lava.proc.graded.process import GradedVec
from lava.proc.io.source import RingBuffer
from lava.proc.lif.process import LIF
from lava.proc.sparse.process import Sparse

from rat_lava.deploy.decomposition import (
    DecompositionCounts,
    decomposition_counts,
    decomposition_wiring,
)
from rat_lava.lava.errors import LavaRuntimeError
from rat_lava.lava.io import receive_all, sequence_extractor
from rat_lava.lava.processes.attention.models import (
    ATTENTION_MODELS,
    attention_run_config_overrides,
)
from rat_lava.lava.processes.attention.process import ChannelAttention
from rat_lava.lava.runtime import GuardedRuntime
from rat_lava.reference.attention import channel_attention, delayed_channel_attention

STEPS = 1000


def spike_trains(rng: np.random.Generator, tokens: int, features: int) -> np.ndarray:
    """(3, STEPS, tokens, features) binary q, k, v; the spike probability varies per step from
    0 to 1, and the first steps are all-silent and all-active (count 0 and the maximum)."""
    rate = rng.random((1, STEPS, 1, 1))
    rate[0, :3, 0, 0] = [0, 1, 1]
    return (rng.random((3, STEPS, tokens, features)) < rate).astype(np.int32)


def run_attention(
    model: str, spikes: np.ndarray, heads: int, shift: int
) -> tuple[np.ndarray, ChannelAttention]:
    """What a delay-2 ChannelAttention run with ``model`` sent, (STEPS, N * d), and the process."""
    _, steps, tokens, features = spikes.shape
    attention = ChannelAttention(
        num_tokens=tokens, num_features=features, num_heads=heads, shift=shift, delay=2
    )
    for data, port in zip(spikes, (attention.q_in, attention.k_in, attention.v_in), strict=True):
        RingBuffer(data=data.reshape(steps, -1).T).s_out.connect(port)
    extractor = sequence_extractor(tokens * features, steps)
    attention.a_out.connect(extractor.in_port)
    overrides = attention_run_config_overrides(model)
    with GuardedRuntime(attention, model_overrides=overrides) as runtime:
        runtime.run(steps)
        sent = receive_all(extractor, steps).astype(np.int64)
    return sent, attention


@pytest.mark.slow
@pytest.mark.parametrize(
    ("tokens", "features", "heads", "shift"),
    [(3, 4, 2, 1), (8, 16, 2, 0)],  # a small config with a shift; the small preset's size
)
def test_decomposed_equals_fused(no_leftover_children, tokens, features, heads, shift):
    spikes = spike_trains(np.random.default_rng(tokens), tokens, features)
    fused, fused_proc = run_attention("fused", spikes, heads, shift)
    decomposed, decomposed_proc = run_attention("decomposed", spikes, heads, shift)

    assert fused_proc.model_class is ATTENTION_MODELS["fused"]
    assert decomposed_proc.model_class is ATTENTION_MODELS["decomposed"]
    leaves = Counter(type(p) for p in decomposed_proc.procs)
    assert leaves == {Sparse: 4, LIF: 1, GradedVec: 1}

    expected = delayed_channel_attention(*spikes, heads, shift, 2).reshape(STEPS, -1)
    assert np.array_equal(decomposed, fused)
    assert np.array_equal(fused, expected)
    assert not fused[:2].any()  # delay: nothing before step 3
    full_count = tokens * features // heads  # all-active step 2 -> sent at step 4
    assert fused[3].min() == fused[3].max() == full_count >> shift
    assert np.array_equal(np.unique(fused), np.arange((full_count >> shift) + 1))  # all counts


def test_wrong_delay_is_a_clear_error(no_leftover_children):
    attention = ChannelAttention(num_tokens=2, num_features=2, num_heads=1, delay=1)
    runtime = GuardedRuntime(
        attention, model_overrides=attention_run_config_overrides("decomposed")
    )
    with pytest.raises(LavaRuntimeError, match=r"decomposed model .* delay of 2 steps.*delay=1"):
        runtime.start()
    runtime.stop()


def test_unknown_model_and_negative_delay_are_rejected():
    with pytest.raises(ValueError, match="attention model must be one of"):
        attention_run_config_overrides("loihi")
    with pytest.raises(ValueError, match="delay must be >= 0"):
        ChannelAttention(num_tokens=2, num_features=2, delay=-1)


@pytest.mark.parametrize(
    ("geometry", "counts"),
    [
        ((8, 2, 8), DecompositionCounts(8192, 128, 24576, 8192)),  # small preset
        ((16, 4, 8), DecompositionCounts(65536, 512, 196608, 65536)),  # paper preset
    ],
)
def test_counts_of_the_presets(geometry, counts):
    assert decomposition_counts(*geometry) == counts
    wiring = decomposition_wiring(*geometry)
    assert wiring.q.shape[0] == counts.coincidence_neurons
    assert wiring.count.shape[0] == counts.counting_neurons
    assert sum(w.nnz for w in wiring[:3]) == counts.input_synapses
    assert wiring.count.nnz == counts.output_synapses
    assert counts.neurons == counts.coincidence_neurons + counts.counting_neurons
    assert counts.synapses == 4 * counts.coincidence_neurons


def test_wiring_counts_three_way_coincidences():
    """Numpy pass through the wiring: fire where all 3 inputs spike, then sum per output."""
    tokens, heads, head_features = 4, 3, 2
    wiring = decomposition_wiring(tokens, heads, head_features)
    rng = np.random.default_rng(0)
    for _ in range(20):
        q, k, v = (rng.integers(0, 2, (tokens, heads * head_features)) for _ in range(3))
        drive = wiring.q @ q.ravel() + wiring.k @ k.ravel() + wiring.v @ v.ravel()
        count = wiring.count @ (drive == 3).astype(np.int64)
        assert np.array_equal(count, channel_attention(q, k, v, heads, 0).ravel())
