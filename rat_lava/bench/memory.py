"""Memory of this process and of Lava's child processes, for benchmarks and soak runs."""

from __future__ import annotations

import threading
from contextlib import suppress


def _tree_sum(field: str) -> int:
    """Sum of one psutil memory figure (``rss`` or ``pss``) over this process and all its
    descendants (Lava's model processes and runtime services), bytes."""
    import psutil

    def read(process: psutil.Process) -> int:
        info = process.memory_info() if field == "rss" else process.memory_full_info()
        return getattr(info, field)

    me = psutil.Process()
    total = read(me)
    for child in me.children(recursive=True):
        with suppress(psutil.NoSuchProcess):  # a child may end between listing and reading
            total += read(child)
    return total


def tree_rss() -> int:
    """Resident memory (RSS) of this process plus all its descendants, bytes; cheap (about
    0.05 ms per process). Lava forks its children from this process, so the pages they still
    share with it (the interpreter, numpy, torch: some 300 MiB each) count once per process:
    a sum that shows growth well but over-states the total several times."""
    return _tree_sum("rss")


def tree_pss() -> int:
    """Proportional set size (PSS) of this process plus all its descendants, bytes: a page
    shared by k processes counts 1/k in each, so the sum is the physical memory of the tree.
    Slow: about 30 ms per process (the kernel walks every page table)."""
    return _tree_sum("pss")


class PeakMemory:
    """Samples ``tree_rss`` (or ``tree_pss`` with ``pss=True``, back to back since each sample
    takes long) every ``interval_s`` seconds in a thread while the ``with`` block runs; ``peak``
    holds the largest sum seen (bytes), including one sample at entry and one at exit."""

    def __init__(self, pss: bool = False, interval_s: float = 0.1) -> None:
        self._read = tree_pss if pss else tree_rss
        self.interval_s = 0.0 if pss else interval_s
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self.peak = self._read()
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, self._read())

    def _sample(self) -> None:
        while not self._done.wait(self.interval_s):
            self.peak = max(self.peak, self._read())
