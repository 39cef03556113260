"""Helpers shared by the tests (import them as ``tests.helpers.<module>``; no test lives here)."""
