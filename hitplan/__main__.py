"""`python -m hitplan` runs the command line."""

import sys

from hitplan.cli import main

sys.exit(main())
