"""The package version (also recorded in exports, checkpoints and run files)."""

__version__ = "0.1.0"
