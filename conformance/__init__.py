"""messaging-conformance: certify a Pipedrive Messaging app extension provider.

The faces (CLI, pytest plugin, this Python API) are thin shells over one runner.
"""

from __future__ import annotations

__version__ = "0.1.0"
