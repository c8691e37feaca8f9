"""The profile: which provider to certify, with what credentials, and where it may write.

A profile is the user's input, so every problem in it is a `ConformanceError` naming the
file and key. `${VAR}` is expanded from the environment after parsing (never textually, so
a value cannot inject YAML). The client secret lives in `Secret`, whose repr never shows it.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from conformance.errors import ConformanceError

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
KNOWN_KEYS: dict[str, tuple[str, ...] | None] = {
    "manifest": None,
    "credentials": ("client_id", "client_secret"),
    "channel": None,
    "sandbox": ("conversation", "sender", "recipient"),
    "disposable_channel": ("id", "recreate", "timeout"),
    "fixtures": ("suspended_channel", "forbidden_channel"),
    "rate_limit_probe": ("requests", "seconds"),
    "template_support": None,
    "channels_api": ("token", "rate_limit", "port"),
}


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
        """`text` with the client secret replaced by a placeholder."""
        secret = self.credentials.client_secret.reveal()
        return text.replace(secret, "<redacted>") if len(secret) >= 4 else text


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
    unknown = _unknown_keys(data)
    if unknown:
        # A typo'd key silently drops what it meant (a misspelt sandbox skips every post rule),
        # so it stops the run instead of warning.
        raise ConformanceError("; ".join(unknown), where=source)
    reader = _Reader(data, source)
    manifest = reader.string("manifest")
    if not manifest.startswith(("http://", "https://")) and base_dir is not None:
        manifest = str((base_dir / manifest).resolve())
    creds = reader.mapping("credentials", required=True)
    credentials = Credentials(creds.string("client_id"), Secret(creds.string("client_secret")))
    sandbox_map = reader.mapping("sandbox")
    sandbox = (
        None
        if sandbox_map is None
        else Sandbox(
            sandbox_map.string("conversation"),
            sandbox_map.string("sender"),
            sandbox_map.string("recipient"),
        )
    )
    fixtures = reader.mapping("fixtures")
    disposable, recreate, recreate_timeout = _disposable_channel(reader)
    probe_map = reader.mapping("rate_limit_probe")
    probe = (
        None
        if probe_map is None
        else RateLimitProbe(
            probe_map.number("requests", 120, int), probe_map.number("seconds", 3.0, float)
        )
    )
    channels_map = reader.mapping("channels_api")
    channels_api = (
        None
        if channels_map is None
        else ChannelsApi(
            Secret(channels_map.string("token")),
            channels_map.number("rate_limit", None, int)
            if "rate_limit" in channels_map.data
            else None,
            channels_map.number("port", None, int) if "port" in channels_map.data else None,
        )
    )
    return Profile(
        manifest=manifest,
        credentials=credentials,
        channel=reader.string("channel"),
        sandbox=sandbox,
        disposable_channel=disposable,
        disposable_recreate=recreate,
        disposable_recreate_timeout=recreate_timeout,
        suspended_channel=None
        if fixtures is None
        else fixtures.string("suspended_channel", required=False),
        forbidden_channel=None
        if fixtures is None
        else fixtures.string("forbidden_channel", required=False),
        rate_limit_probe=probe,
        template_support=reader.boolean("template_support", False),
        channels_api=channels_api,
        source=source,
    )


def _disposable_channel(reader: _Reader) -> tuple[str | None, str | None, float]:
    """`disposable_channel: ID` or `disposable_channel: {id: ID, recreate: CMD, timeout: S}`."""
    if not isinstance(reader.data.get("disposable_channel"), dict):
        return reader.string("disposable_channel", required=False), None, 60.0
    mapping = reader.mapping("disposable_channel")
    assert mapping is not None
    return (
        mapping.string("id"),
        mapping.string("recreate", required=False),
        mapping.number("timeout", 60.0, float),
    )


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


def _unknown_keys(data: dict[Any, Any]) -> list[str]:
    warnings = []
    for key, value in data.items():
        if key not in KNOWN_KEYS:
            warnings.append(f"unknown profile key {key!r}{_suggest(key, KNOWN_KEYS)}")
            continue
        subkeys = KNOWN_KEYS[key]
        if subkeys and isinstance(value, dict):
            warnings.extend(
                f"unknown profile key '{key}.{sub}'{_suggest(sub, subkeys)}"
                for sub in value
                if sub not in subkeys
            )
    return warnings


def _suggest(name: Any, options: Any) -> str:
    close = difflib.get_close_matches(str(name), list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _Reader:
    """Typed access to a profile mapping that names the key at fault in every error."""

    def __init__(self, data: dict[Any, Any], source: str, prefix: str = "") -> None:
        self.data, self.source, self.prefix = data, source, prefix

    def _fail(self, key: str, message: str) -> ConformanceError:
        return ConformanceError(f"{self.prefix}{key}: {message}", where=self.source)

    def string(self, key: str, *, required: bool = True) -> Any:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self._fail(key, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self._fail(key, f"must be a string, not {type(value).__name__}")
        if str(value) == "":
            raise self._fail(key, "must not be empty")
        return str(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self._fail(key, "must be true or false")
        return value

    def number(self, key: str, default: Any, kind: type) -> Any:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise self._fail(key, "must be a positive number")
        return kind(value)

    def mapping(self, key: str, *, required: bool = False) -> _Reader | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self._fail(key, "is required")
            return None
        if not isinstance(value, dict):
            raise self._fail(key, "must be a mapping")
        return _Reader(value, self.source, f"{self.prefix}{key}.")
