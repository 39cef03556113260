"""Deploy tests fold random RAT models: the same torch seed as the model tests, on one thread."""

from tests.helpers.torch_fixtures import deterministic_torch

__all__ = ["deterministic_torch"]
