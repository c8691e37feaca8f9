"""The bundled reference provider: a fully conformant provider of the manifest endpoints.

Vendors read it as a model; the suite certifies it by default; tests break it one rule at a
time. It imports nothing of the suite's checks or rules (see app.py for why).

Stage: reference.
"""

from conformance.reference.app import ReferenceConfig, create_app
from conformance.reference.data import (
    DISPOSABLE_CHANNEL,
    FORBIDDEN_CHANNEL,
    MAIN_CHANNEL,
    SANDBOX,
    SUSPENDED_CHANNEL,
)
from conformance.reference.server import ReferenceServer

__all__ = [
    "DISPOSABLE_CHANNEL",
    "FORBIDDEN_CHANNEL",
    "MAIN_CHANNEL",
    "SANDBOX",
    "SUSPENDED_CHANNEL",
    "ReferenceConfig",
    "ReferenceServer",
    "create_app",
]
