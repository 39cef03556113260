"""Lava side of rat-lava: process graphs, guarded CPU-simulator runtime, streaming I/O.

Importing this package does not import Lava; the submodules that need it do.
"""
