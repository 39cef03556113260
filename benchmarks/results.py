"""The README's results tables: every decoder on each data set, several seeds, one run.

    python benchmarks/results.py [--data s1 synthetic:0] [--seeds 0 1 2] [--jobs 2]
                                 [--variants rat rat-pruned gru ridge kalman]
                                 [--out runs/bench] [--report FILE.md]

Trains the small RAT, its pruned and rate-bounded variant (``--prune 0.7 --rate-bound 50``),
the GRU, ridge and Kalman with every default of ``rat-lava train`` (each to its own early stop,
no epoch cap), exports each RAT and decodes the test split in Lava ``sim-fixed`` (fused network,
probes), and prints one Markdown table per data set (also written to ``OUT/results.md`` or
``--report``, with an R^2 / cost plot beside it): test R^2 (mean ± sd over seeds), parameters,
ACs and MACs per second of data, modelled Loihi 2 and NeuroBench energy per bin, epochs and
training time. Add ``rat-paper`` to ``--variants`` for the paper-sized RAT. Finished jobs in
``OUT`` are reused, so a stopped run continues where it stopped.
"""

from __future__ import annotations

from rat_lava.bench.sweep import main

ROWS = ("rat", "rat-pruned", "gru", "ridge", "kalman")

if __name__ == "__main__":
    main(__doc__, ROWS, "results.md")
