"""DSSE (Dead Simple Signing Envelope) v1 with Ed25519 keys, as in-toto attestations use it.

The signature covers PAE(payloadType, payload), the DSSE spec's pre-authentication
encoding: `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, LEN being the byte length
in ASCII decimal. So neither the payload type nor the payload can be changed without
breaking the signature, and no JSON canonicalisation is needed: the payload is signed as the
exact bytes the envelope carries (base64). The cryptography itself is `cryptography`'s
Ed25519; nothing here is hand-written crypto.

Stage: certificate.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from conformance.errors import ConformanceError

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"


def pae(payload_type: str, payload: bytes) -> bytes:
    """The DSSE v1 pre-authentication encoding of a payload and its type."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def keyid(public: Ed25519PublicKey) -> str:
    """sha256 of the raw public key, hex: names the key in the envelope and on the page."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def sign(payload: bytes, key: Ed25519PrivateKey, payload_type: str = IN_TOTO_PAYLOAD_TYPE) -> dict:
    """The DSSE envelope (JSON object) of `payload`, signed with `key`."""
    return {
        "payloadType": payload_type,
        "payload": base64.b64encode(payload).decode("ascii"),
        "signatures": [
            {
                "keyid": keyid(key.public_key()),
                "sig": base64.b64encode(key.sign(pae(payload_type, payload))).decode("ascii"),
            }
        ],
    }


def payload_of(envelope: Any) -> bytes:
    """The envelope's payload bytes, unverified (for rendering and for naming what failed)."""
    try:
        return base64.b64decode(envelope["payload"], validate=True)
    except (KeyError, TypeError, binascii.Error, ValueError):
        raise ConformanceError("not a DSSE envelope (no base64 payload)") from None


def verified(envelope: Any, public: Ed25519PublicKey) -> bool:
    """True when one of the envelope's signatures is `public`'s over PAE(type, payload)."""
    try:
        payload = payload_of(envelope)
        kind = envelope["payloadType"]
        signatures = envelope["signatures"]
        if not isinstance(kind, str) or not isinstance(signatures, list):
            return False
    except (ConformanceError, KeyError, TypeError):
        return False
    message = pae(kind, payload)
    for entry in signatures:
        try:
            public.verify(base64.b64decode(entry["sig"], validate=True), message)
            return True
        except (InvalidSignature, KeyError, TypeError, binascii.Error, ValueError):
            continue
    return False


# -- keys ---------------------------------------------------------------------------------
def generate(private_path: str | Path, *, force: bool = False) -> tuple[Path, Path]:
    """Write a new Ed25519 key pair: PKCS#8 PEM (mode 0600) and its public key beside it
    (`.pub`, SubjectPublicKeyInfo PEM), the file `verify --key` takes."""
    private_path = Path(private_path)
    public_path = private_path.with_name(private_path.name + ".pub")
    for path in (private_path, public_path):
        if path.exists() and not force:
            raise ConformanceError("exists; pass --force to overwrite it", where=str(path))
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    try:
        private_path.parent.mkdir(parents=True, exist_ok=True)
        if private_path.exists():
            private_path.unlink()
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(private)
        public_path.write_bytes(public)
    except OSError as exc:
        raise ConformanceError(
            f"cannot write the key: {exc.strerror or exc}", where=str(private_path)
        ) from None
    return private_path, public_path


def _read(path: str | Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConformanceError(
            f"cannot read {what}: {exc.strerror or exc}", where=str(path)
        ) from None


def load_private(path: str | Path) -> Ed25519PrivateKey:
    """An unencrypted Ed25519 private key in PEM (what `keygen` writes)."""
    data = _read(path, "the signing key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        reason = "encrypted keys are not supported" if "password" in str(exc).lower() else ""
        raise ConformanceError(
            f"not an unencrypted PEM private key{': ' + reason if reason else ''}"
            " (write one with `messaging-conformance keygen`)",
            where=str(path),
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConformanceError("not an Ed25519 key", where=str(path))
    return key


def load_public(path: str | Path) -> Ed25519PublicKey:
    """An Ed25519 public key in PEM (the `.pub` file `keygen` writes)."""
    data = _read(path, "the public key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise ConformanceError(
            "not a PEM public key (the .pub file `messaging-conformance keygen` wrote)",
            where=str(path),
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConformanceError("not an Ed25519 public key", where=str(path))
    return key


def load_envelope(path: str | Path) -> dict[str, Any]:
    """certificate.json: a JSON object with a payload; anything else is a one-line error."""
    try:
        data = json.loads(_read(path, "the certificate"))
    except ValueError as exc:
        raise ConformanceError(f"certificate is not JSON: {exc}", where=str(path)) from None
    if not isinstance(data, dict) or "payload" not in data or "signatures" not in data:
        raise ConformanceError("not a certificate (no DSSE envelope)", where=str(path))
    return data
