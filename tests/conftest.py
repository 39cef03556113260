"""Fixtures of every test folder: the Lava tests (tests/lava, tests/bench) run real Lava
simulations (2-4 s each) and must not leave Lava child processes behind."""

import os

import psutil
import pytest


def lava_children() -> set[int]:
    """PIDs of this process's children except multiprocessing's resource tracker, which
    Python starts once per interpreter and keeps."""
    return {
        child.pid
        for child in psutil.Process(os.getpid()).children(recursive=True)
        if "resource_tracker" not in " ".join(child.cmdline())
    }


@pytest.fixture
def no_leftover_children():
    """Fails the test if it leaves Lava child processes behind."""
    before = lava_children()
    yield
    leftover = lava_children() - before
    assert not leftover, f"Lava child processes left running: {sorted(leftover)}"
