"""The deployed network, numpy only: what export writes, the reference emulates, Lava builds and
probes count (the folded network, its Lava leaf graph, the attention decomposition, op counters
and the fixed-point constants)."""
