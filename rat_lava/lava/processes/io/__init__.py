"""Fixed- and floating-point models for Lava's own I/O processes (``lava.proc.io``)."""
