"""`python -m diamondtrace.cli`, as `diamondtrace`."""

import sys

from .main import main

sys.exit(main())
