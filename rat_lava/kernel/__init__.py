"""The compiled fixed-point kernel: a LavaGraph flattened to integer arrays (``plan``), stepped
block by block by a numba kernel (``step``), and the offline whole-sequence decode built on it
(``offline``). Bit-exact with ``rat_lava.reference`` (the readable specification, the tests'
oracle); used by the ``FusedNetwork`` Lava process and by the exporter's fixed-point R^2."""
