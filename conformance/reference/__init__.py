"""The bundled reference provider: a fully conformant provider of the manifest endpoints.

Vendors read it as a model; the suite certifies it by default; tests break it one rule at a
time. It imports nothing of the suite's checks or rules (see app.py for why).

Stage: reference.
"""

from typing import TYPE_CHECKING, Any

from conformance.reference.config import ReferenceConfig
from conformance.reference.data import (
    DISPOSABLE_CHANNEL,
    FORBIDDEN_CHANNEL,
    MAIN_CHANNEL,
    SANDBOX,
    SUSPENDED_CHANNEL,
)

if TYPE_CHECKING:
    from conformance.reference.app import create_app
    from conformance.reference.server import ReferenceServer


def __getattr__(name: str) -> Any:
    """The app and its server on first use: importing the package (for its fixture ids or
    its config) does not import Flask."""
    if name == "create_app":
        from conformance.reference.app import create_app

        return create_app
    if name == "ReferenceServer":
        from conformance.reference.server import ReferenceServer

        return ReferenceServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
