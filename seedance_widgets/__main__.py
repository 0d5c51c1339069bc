"""`python -m seedance_widgets ...` is the `seedance` command."""

import sys

from ._cli.main import main

sys.exit(main())
