"""The profile: which provider to certify, with what credentials, and where it may write.

Inputs stage. A profile is the user's input, so every problem in it is a `ConformanceError`
naming the file and key. `${VAR}` is expanded from the environment after parsing (never
textually, so a value cannot inject YAML). What keys exist and what they may hold is the
JSON Schema's to say (`profile.schema.json`, via profile_schema.py): this module only reads
a profile the schema accepted into typed values. The client secret lives in `Secret`, whose
repr never shows it.

Stage: inputs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from conformance.errors import ConformanceError
from conformance.inputs.profile_schema import problems
from conformance.redact import Redactor

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Secret:
    """A value that must never reach a report, log or repr; `reveal()` is the only way out."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: Secret


@dataclass(frozen=True)
class Sandbox:
    """The one conversation postMessage may write to, and who speaks in it."""

    conversation: str
    sender: str
    recipient: str


@dataclass(frozen=True)
class RateLimitProbe:
    requests: int = 120
    seconds: float = 3.0


@dataclass(frozen=True)
class ChannelsApi:
    """The simulated Channels API side: the bearer token the vendor's app sends to it."""

    token: Secret
    rate_limit: int | None = None  # calls per second before a 429; None: the default
    port: int | None = None


@dataclass(frozen=True)
class Profile:
    manifest: str
    credentials: Credentials
    channel: str
    sandbox: Sandbox | None = None
    disposable_channel: str | None = None
    # A shell command that brings the disposable channel back before the delete step, so
    # nightly runs against one provider keep exercising delete.channel (see disposable.py).
    disposable_recreate: str | None = None
    disposable_recreate_timeout: float = 60.0
    suspended_channel: str | None = None
    forbidden_channel: str | None = None
    rate_limit_probe: RateLimitProbe | None = None
    # What the channel is registered with in Pipedrive's Channels API (addChannel): true
    # makes Pipedrive call getTemplates, so the manifest must have it.
    template_support: bool = False
    channels_api: ChannelsApi | None = None
    source: str = "<profile>"

    def redacted(self) -> dict[str, Any]:
        """The profile as a report may show it: everything but the secret."""
        return {
            "source": self.source,
            "manifest": self.manifest,
            "credentials": {"client_id": self.credentials.client_id, "client_secret": "<redacted>"},
            "channel": self.channel,
            "sandbox": None if self.sandbox is None else vars_of(self.sandbox),
            "disposable_channel": self._disposable(),
            "fixtures": {
                "suspended_channel": self.suspended_channel,
                "forbidden_channel": self.forbidden_channel,
            },
            "rate_limit_probe": None
            if self.rate_limit_probe is None
            else vars_of(self.rate_limit_probe),
            "template_support": self.template_support,
            **(
                {}
                if self.channels_api is None
                else {
                    "channels_api": {
                        "token": "<redacted>",
                        "rate_limit": self.channels_api.rate_limit,
                        "port": self.channels_api.port,
                    }
                }
            ),
        }

    def _disposable(self) -> str | dict[str, Any] | None:
        """The plain id as given, or the mapping with the secret scrubbed from the command
        (`${VAR}` may have put it there, e.g. `curl -u id:${SECRET}`)."""
        if self.disposable_recreate is None:
            return self.disposable_channel
        return {
            "id": self.disposable_channel,
            "recreate": self.scrub(self.disposable_recreate),
            "timeout": self.disposable_recreate_timeout,
        }

    def scrub(self, text: str) -> str:
        """`text` with the client secret replaced by a placeholder, in every encoding: the
        one Redactor of the suite (redact.py), so a recreate command that carries the secret
        base64- or percent-encoded is scrubbed too."""
        return Redactor([self.credentials.client_secret.reveal()]).scrub(text)


def vars_of(value: Any) -> dict[str, Any]:
    return {k: getattr(value, k) for k in value.__dataclass_fields__}


def load_profile(path: str | Path, environ: Mapping[str, str] | None = None) -> Profile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConformanceError(f"cannot read profile: {reason}", where=str(path)) from None
    return parse_profile(
        text,
        source=str(path),
        base_dir=path.parent,
        environ=os.environ if environ is None else environ,
    )


def parse_profile(
    text: str,
    *,
    source: str = "<profile>",
    base_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Profile:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConformanceError(f"YAML does not parse{line}: {problem}", where=source) from None
    if not isinstance(data, dict):
        raise ConformanceError("profile must be a YAML mapping of keys", where=source)
    data = _expand(data, environ if environ is not None else os.environ, source, "")
    found = problems(data)
    if found:
        raise ConformanceError("; ".join(found), where=source)
    return profile_from(data, source=source, base_dir=base_dir)


def profile_from(
    data: Mapping[str, Any], *, source: str = "<profile>", base_dir: Path | None = None
) -> Profile:
    """The typed profile of `data`, which the schema accepted (types, required keys and
    positive numbers are its business); `data` is only read with `get` (tests count the
    keys read against the schema's)."""
    manifest = str(data.get("manifest"))
    if not manifest.startswith(("http://", "https://")) and base_dir is not None:
        manifest = str((base_dir / manifest).resolve())
    creds = data.get("credentials")
    sandbox = data.get("sandbox")
    fixtures = data.get("fixtures") or {}
    probe = data.get("rate_limit_probe")
    channels = data.get("channels_api")
    disposable = data.get("disposable_channel")
    if not isinstance(disposable, Mapping):
        disposable = {"id": disposable}
    return Profile(
        manifest=manifest,
        credentials=Credentials(
            str(creds.get("client_id")), Secret(str(creds.get("client_secret")))
        ),
        channel=str(data.get("channel")),
        sandbox=None
        if sandbox is None
        else Sandbox(
            str(sandbox.get("conversation")),
            str(sandbox.get("sender")),
            str(sandbox.get("recipient")),
        ),
        disposable_channel=_text(disposable.get("id")),
        disposable_recreate=_text(disposable.get("recreate")),
        disposable_recreate_timeout=float(disposable.get("timeout", 60.0)),
        suspended_channel=_text(fixtures.get("suspended_channel")),
        forbidden_channel=_text(fixtures.get("forbidden_channel")),
        rate_limit_probe=None
        if probe is None
        else RateLimitProbe(int(probe.get("requests", 120)), float(probe.get("seconds", 3.0))),
        template_support=bool(data.get("template_support", False)),
        channels_api=None
        if channels is None
        else ChannelsApi(
            Secret(str(channels.get("token"))),
            _whole(channels.get("rate_limit")),
            _whole(channels.get("port")),
        ),
        source=source,
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _whole(value: Any) -> int | None:
    return None if value is None else int(value)


def _expand(value: Any, environ: Mapping[str, str], source: str, key: str) -> Any:
    if isinstance(value, dict):
        return {
            k: _expand(v, environ, source, f"{key}.{k}" if key else str(k))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_expand(v, environ, source, key) for v in value]
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in environ:
                raise ConformanceError(
                    f"{key}: environment variable {name} is not set", where=source
                )
            return environ[name]

        return _VAR.sub(substitute, value)
    return value
