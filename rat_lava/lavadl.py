"""lava-dl imported quietly.

Importing ``lava.lib.dl`` prints notices unrelated to decoding (a missing Prophesee toolbox,
the CUDA_HOME guess of torch's extension builder) on stdout; they would corrupt CLI output.
Import ``slayer`` and ``netx`` from here instead.
"""

import contextlib
import io

with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    import lava.lib.dl.netx as netx
    import lava.lib.dl.slayer as slayer

__all__ = ["netx", "slayer"]
