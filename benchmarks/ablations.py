"""Which parts of the RAT help: every ablation beside the full RAT and the baselines.

    python benchmarks/ablations.py [--data s1 synthetic:0] [--seeds 0 1 2] [--jobs 2]
                                   [--out runs/bench] [--report FILE.md]

The full ``small`` RAT and one model per ablation switch of ``rat-lava train --ablation``
(no attention, no re-parametrization, single timescale), with the GRU, ridge and Kalman for
scale, each trained with the defaults of ``rat-lava train`` to its own early stop; every RAT is
exported and decoded in Lava ``sim-fixed``. One Markdown table per data set (also
``OUT/ablations.md`` or ``--report``, with an R^2 / cost plot beside it), with each row's test
R^2 change against the full RAT of the same seed. Jobs shared with ``benchmarks/results.py``
(same ``--out``) are trained once.
"""

from __future__ import annotations

from rat_lava.bench.sweep import main
from rat_lava.train.choices import ABLATIONS

ROWS = ("rat", *(f"rat-{name}" for name in ABLATIONS), "gru", "ridge", "kalman")

if __name__ == "__main__":
    main(__doc__, ROWS, "ablations.md", baseline="rat")
