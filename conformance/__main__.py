"""`python -m conformance` is the same as the `messaging-conformance` command.

Stage: faces.
"""

import sys

from conformance.faces.cli import main

sys.exit(main())
