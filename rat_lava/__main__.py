"""`python -m rat_lava` runs the `rat-lava` command line."""

import sys

from rat_lava.cli import main

sys.exit(main())
