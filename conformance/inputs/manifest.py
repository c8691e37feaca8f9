"""The vendor's manifest: parse it, lint it into `manifest.*` findings, bind its URLs.

Inputs stage. Pipedrive calls the URLs the manifest lists, not the spec's paths, so this
module is where the suite learns where each operation really lives. It reads a manifest
file; a manifest URL is fetched by the HTTP stage (http/fetch.py, through the run's
transport), which hands the bytes here. Loading problems (unreadable, not JSON) are input
errors (`ConformanceError`, exit 2); a JSON manifest of the wrong shape is a provider defect
and becomes findings, so `validate-manifest` can explain all of them at once.

Stage: inputs.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from conformance.errors import ConformanceError
from conformance.inputs.contract import (
    ENDPOINT_VARIABLES,
    MANIFEST_VERSION,
    REQUIRED_ENDPOINTS,
)
from conformance.model import Finding
from conformance.text import excerpt

# getMessageById: the docs' manifest carries the conversation id, the published yaml does
# not; both are legal, so that one variable is optional.
OPTIONAL_VARIABLES: dict[str, frozenset[str]] = {
    "getMessageById": frozenset({"sourceConversationId"}),
}
# The manifest's only top-level keys: anything else is read by no one.
TOP_LEVEL_KEYS = ("version", "endpoints")
_VARIABLE = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\}")
MAX_MANIFEST_BYTES = 1 << 20


@dataclass(frozen=True)
class EndpointTemplate:
    """One manifest URL, e.g. `https://x.com/api/channels/:providerChannelId/conversations`."""

    operation: str
    template: str

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(a or b for a, b in _VARIABLE.findall(urlsplit(self.template).path))

    @property
    def origin(self) -> str:
        parts = urlsplit(self.template)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def path_template(self) -> str:
        """The path in OpenAPI style (`{name}`), as schemathesis needs it."""
        return _VARIABLE.sub(
            lambda m: "{%s}" % (m.group(1) or m.group(2)), urlsplit(self.template).path
        )

    def url(self, **values: str) -> str:
        """The concrete URL; ids are percent-encoded so `a/b` stays one path segment."""
        parts = urlsplit(self.template)

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(2)
            if name not in values:
                raise KeyError(f"{self.operation} needs a value for {name}")
            return quote(str(values[name]), safe="")

        path = _VARIABLE.sub(substitute, parts.path)
        query = f"?{parts.query}" if parts.query else ""
        return f"{parts.scheme}://{parts.netloc}{path}{query}"


@dataclass(frozen=True)
class Manifest:
    """A manifest as read, with the endpoints that could be bound."""

    source: str
    raw: Any
    endpoints: Mapping[str, EndpointTemplate]
    digest: str

    def endpoint(self, operation: str) -> EndpointTemplate | None:
        return self.endpoints.get(operation)

    def unbound(self, operation: str) -> str:
        """Why `operation` cannot be called: absent, or listed with a URL that a
        manifest rule rejected (named, with the reason), so a skip never says "not in the
        manifest" of an endpoint the vendor did list."""
        raw = self.raw.get("endpoints") if isinstance(self.raw, dict) else None
        url = raw.get(operation) if isinstance(raw, dict) else None
        if url is None:
            return f"{operation} is not in the manifest"
        if not isinstance(url, str) or not _is_absolute(url):
            problems = ["is not an absolute http(s) URL"]
        else:
            problems = _variable_problems(operation, EndpointTemplate(operation, url).variables)
        return (
            f"{operation} is in the manifest, but manifest.url-variables rejected its URL "
            f"({'; '.join(problems)}), so it is never called"
        )


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_manifest_file(source: str) -> bytes:
    """A manifest file's bytes (at most one byte over the cap, for `parse_manifest` to
    refuse); an unreadable file is one clear line. A URL is the HTTP stage's to fetch
    (http/fetch.py): this stage sends nothing."""
    path = Path(source)
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_MANIFEST_BYTES + 1)
    except OSError as exc:
        raise ConformanceError(
            f"cannot read manifest: {exc.strerror or exc}", where=source
        ) from None


def parse_manifest(data: bytes, source: str) -> Manifest:
    """Parse JSON and bind what can be bound; shape problems are left to `lint`."""
    import hashlib

    if len(data) > MAX_MANIFEST_BYTES:
        raise ConformanceError("manifest is larger than 1 MiB", where=source)
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConformanceError("manifest is not UTF-8 text", where=source) from None
    except json.JSONDecodeError as exc:
        raise ConformanceError(
            f"manifest is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", where=source
        ) from None
    endpoints: dict[str, EndpointTemplate] = {}
    if isinstance(raw, dict) and isinstance(raw.get("endpoints"), dict):
        for name, url in raw["endpoints"].items():
            if name in ENDPOINT_VARIABLES and isinstance(url, str) and _is_absolute(url):
                template = EndpointTemplate(name, url)
                # A URL with wrong variables cannot be called correctly: leave it unbound
                # (manifest.url-variables reports it) rather than guess.
                if not _variable_problems(name, template.variables):
                    endpoints[name] = template
    return Manifest(source, raw, endpoints, hashlib.sha256(data).hexdigest())


def _is_absolute(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return (
            parts.scheme in ("http", "https")
            and bool(parts.hostname)
            and (parts.port is None or parts.port > 0)
        )
    except ValueError:  # e.g. an unbalanced "[" or a non-numeric port
        return False


def lint(manifest: Manifest) -> list[Finding]:
    """Every `manifest.*` finding that can be judged without calling the provider."""
    raw = manifest.raw
    if not isinstance(raw, dict):
        return [
            Finding("manifest.schema", f"manifest is a JSON {type(raw).__name__}, not an object")
        ]
    findings: list[Finding] = []
    if raw.get("version") != MANIFEST_VERSION:
        findings.append(
            Finding(
                "manifest.schema",
                f"version is {raw.get('version')!r}; expected {MANIFEST_VERSION!r}",
            )
        )
    for key in raw:
        if key not in TOP_LEVEL_KEYS:
            # A key Pipedrive does not read is a key the vendor believes does something.
            findings.append(
                Finding(
                    "manifest.unknown-endpoint",
                    f"unknown top-level manifest key {excerpt(key, 60)}: only "
                    f"{' and '.join(repr(k) for k in TOP_LEVEL_KEYS)} are read",
                )
            )
    endpoints = raw.get("endpoints")
    if not isinstance(endpoints, dict):
        findings.append(Finding("manifest.schema", "endpoints is missing or not an object"))
        return findings
    for name, url in endpoints.items():
        if not isinstance(url, str):
            findings.append(Finding("manifest.schema", f"{name} is not a URL string", name))
        elif name not in ENDPOINT_VARIABLES:
            findings.append(
                Finding(
                    "manifest.unknown-endpoint",
                    f"unknown endpoint key {name!r}{_did_you_mean(name)}",
                    name,
                )
            )
        else:
            findings.extend(_lint_url(name, url))
    for name in REQUIRED_ENDPOINTS:
        if name not in endpoints:
            findings.append(
                Finding("manifest.required-endpoints", f"required endpoint {name} is missing", name)
            )
    return findings


def _lint_url(name: str, url: str) -> list[Finding]:
    if not _is_absolute(url):
        return [
            Finding(
                "manifest.url-variables", f"{name} URL {url!r} is not an absolute http(s) URL", name
            )
        ]
    findings = [
        Finding("manifest.url-variables", f"{name} URL {problem}", name)
        for problem in _variable_problems(name, EndpointTemplate(name, url).variables)
    ]
    parts = urlsplit(url)
    if parts.scheme != "https" and not is_loopback(parts.hostname or ""):
        findings.append(
            Finding(
                "manifest.https", f"{name} uses plain http to {parts.hostname}; use https", name
            )
        )
    return findings


def _variable_problems(name: str, found: tuple[str, ...]) -> list[str]:
    """What is wrong with the variables of an endpoint's URL (empty when nothing)."""
    required = set(ENDPOINT_VARIABLES[name]) - OPTIONAL_VARIABLES.get(name, frozenset())
    allowed = set(ENDPOINT_VARIABLES[name])
    problems = []
    for label, names in (
        ("lacks", sorted(required - set(found))),
        ("has unexpected", sorted(set(found) - allowed)),
        ("repeats", sorted({v for v in found if found.count(v) > 1})),
    ):
        if names:
            plural = "s" if len(names) > 1 else ""
            problems.append(f"{label} variable{plural} " + ", ".join(":" + n for n in names))
    return problems


def _did_you_mean(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(ENDPOINT_VARIABLES), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def capability_findings(
    manifest: Manifest, *, avatar_flags: bool, template_support: bool, link_expires: bool
) -> list[Finding]:
    """`manifest.capability-endpoints`, judged from the provider's data the run saw and the
    profile's `template_support` (what the vendor registers its channel with)."""
    needs = (
        ("getSenderById", avatar_flags, "a participant has fetch_avatar/avatar_expires"),
        ("getTemplates", template_support, "the profile says template_support: true"),
        ("getMessageById", link_expires, "an attachment has link_expires"),
    )
    return [
        Finding("manifest.capability-endpoints", f"{op} is missing but {why}", op)
        for op, needed, why in needs
        if needed and op not in manifest.endpoints
    ]


def capability_result(
    manifest: Manifest,
    *,
    template_support: bool,
    avatar_flags: bool | None,
    link_expires: bool | None,
) -> list[Finding] | str:
    """The rule's result for a run: its findings, or why it could not be judged.

    `avatar_flags`/`link_expires` are None when the run read none of the provider's data
    (e.g. `--only 'manifest.*'`): those clauses then cannot be judged, and unless the
    template clause already fails, the rule is skipped saying so.
    """
    findings = capability_findings(
        manifest,
        avatar_flags=bool(avatar_flags),
        template_support=template_support,
        link_expires=bool(link_expires),
    )
    if avatar_flags is None and link_expires is None and not findings:
        return (
            "its avatar and expiring-link clauses need the provider's data, which this run "
            "did not request"
        )
    return findings
