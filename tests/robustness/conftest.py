"""Mutated files are read under a time limit shorter than the tests' own hang detector
(``mutations.LOAD_SECONDS``), so a file on which HDF5 loops is a clean refusal, not a hang."""

import pytest

from rat_lava import io_utils
from tests.helpers.mutations import LOAD_SECONDS


@pytest.fixture(autouse=True, scope="module")
def short_read_limit():
    """Module-scoped (hypothesis refuses function-scoped fixtures around @given tests)."""
    default = io_utils.READ_SECONDS
    io_utils.READ_SECONDS = LOAD_SECONDS * 2 / 3
    yield
    io_utils.READ_SECONDS = default
