"""``python -m cli.reference [--check]``: see the package docstring."""

import sys

from cli.reference import main

sys.exit(main())
