"""Shared fixtures of the baseline tests: one cosine session, each baseline fitted once."""

import pytest

from rat_lava.baselines import BASELINES
from tests.helpers.cosine_sessions import cosine_session, split


@pytest.fixture(scope="session")
def parts():
    """Train, validation and test parts of ``cosine_session()``."""
    return split(cosine_session())


@pytest.fixture(scope="session")
def fit_baseline(parts):
    """``fit_baseline(name)`` -> (decoder, fit info) of that baseline fitted on ``parts``, once."""
    fitted = {}

    def fit(name: str):
        if name not in fitted:
            decoder = BASELINES[name]()
            fitted[name] = decoder, decoder.fit(parts[0], parts[1])
        return fitted[name]

    return fit
