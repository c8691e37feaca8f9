"""Where the manifest comes from: a file, or a URL fetched through the run's transport.

HTTP stage. The profile names the manifest by path or by http(s) URL; a URL is fetched
with `transport.py`, like every request to the provider: the same TLS options (`verify`:
--ca-bundle, --insecure), a deadline for the whole answer (a manifest URL dripping bytes is
cut) and a body cap. It sits above the inputs stage, whose `parse_manifest` makes the
Manifest of the bytes (inputs/ sends nothing and imports nothing of http/).

Stage: http.
"""

from __future__ import annotations

from pathlib import Path

import requests

from conformance.errors import ConformanceError
from conformance.http.transport import TransferFailed, new_session, transfer
from conformance.inputs.manifest import (
    MAX_MANIFEST_BYTES,
    Manifest,
    parse_manifest,
    read_manifest_file,
)
from conformance.options import TIMEOUT


def load_manifest(
    source: str | Path, *, timeout: float = TIMEOUT, verify: bool | str = True
) -> Manifest:
    source = str(source)
    return parse_manifest(read_manifest_bytes(source, timeout=timeout, verify=verify), source)


def read_manifest_bytes(
    source: str, *, timeout: float = TIMEOUT, verify: bool | str = True
) -> bytes:
    """The manifest's bytes from a path or an http(s) URL; any failure is one clear line."""
    if not source.startswith(("http://", "https://")):
        return read_manifest_file(source)
    with new_session(verify) as session:
        try:
            request = session.prepare_request(requests.Request("GET", source))
            received = transfer(session, request, timeout=timeout, body_cap=MAX_MANIFEST_BYTES)
        except TransferFailed as failed:
            if isinstance(failed.cause, requests.exceptions.SSLError):
                raise ConformanceError(
                    "TLS certificate not trusted (use --ca-bundle FILE, or --insecure)",
                    where=source,
                ) from None
            raise ConformanceError(
                f"cannot fetch manifest: {type(failed.cause).__name__}", where=source
            ) from None
        except requests.RequestException as exc:  # a URL requests cannot even prepare
            raise ConformanceError(
                f"cannot fetch manifest: {type(exc).__name__}", where=source
            ) from None
    if received.status != 200:
        raise ConformanceError(f"fetching manifest gave HTTP {received.status}", where=source)
    if received.oversize is not None:
        raise ConformanceError("manifest is larger than 1 MiB", where=source)
    if received.timed_out:
        raise ConformanceError(
            f"cannot fetch manifest: not complete within {timeout:g} s", where=source
        )
    return received.body
