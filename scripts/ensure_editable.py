"""Exit 0 when `rat_lava` in this environment is the package of the given checkout, else 1.

A cached environment (CI) is shared by several clones; the Makefile re-points the editable
install at the current clone when this check fails.
"""

import importlib.util
import pathlib
import sys

spec = importlib.util.find_spec("rat_lava")
here = pathlib.Path(sys.argv[1]).resolve() / "rat_lava" / "__init__.py"
sys.exit(0 if spec is not None and pathlib.Path(spec.origin).resolve() == here else 1)
