"""`python -m conformance` is the same as the `messaging-conformance` command."""

import sys

from conformance.faces.cli import main

sys.exit(main())
