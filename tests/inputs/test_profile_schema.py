"""The profile's JSON Schema is the one list of profile keys: the loader reads exactly the
keys it defines, editors get help for each, and its errors read as the loader's always did."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from conformance.errors import ConformanceError
from conformance.faces.cli import main
from conformance.inputs.profile import parse_profile, profile_from
from conformance.inputs.profile_schema import SCHEMA_PATH, key_paths, modeline, problems, schema

BASE = "manifest: m\ncredentials: {client_id: a, client_secret: b}\nchannel: c\n"


def _nodes(node: dict[str, Any], prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    properties = {**node.get("properties", {}), **node.get("then", {}).get("properties", {})}
    for key, sub in properties.items():
        found.append((prefix + key, sub))
        found += _nodes(sub, f"{prefix}{key}.")
    return found


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    from jsonschema import Draft202012Validator

    document = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(document)


def test_every_key_has_a_title_and_a_description_for_editors() -> None:
    nodes = _nodes(schema())
    assert len(nodes) == len(key_paths()) > 20
    for path, node in nodes:
        assert node.get("title") and len(node.get("description", "")) > 20, path


class _Reads(dict):
    """A mapping that notes every key read from it (with its dotted path)."""

    def __init__(self, data: dict[str, Any], seen: set[str], prefix: str = "") -> None:
        super().__init__(
            {
                k: _Reads(v, seen, f"{prefix}{k}.") if isinstance(v, dict) else v
                for k, v in data.items()
            }
        )
        self.seen, self.prefix = seen, prefix

    def get(self, key: Any, default: Any = None) -> Any:
        self.seen.add(self.prefix + key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self.seen.add(self.prefix + key)
        return super().__getitem__(key)


def _example(path: str, node: dict[str, Any]) -> Any:
    """A valid value for every key of `node`, made from the schema alone."""
    if "then" in node or "object" in node.get("type", []):
        properties = {**node.get("properties", {}), **node.get("then", {}).get("properties", {})}
        return {k: _example(f"{path}.{k}", sub) for k, sub in properties.items()}
    types = node["type"]
    if "string" in types:
        return f"value-of-{path}"
    if "boolean" in types:
        return True
    return 7


def test_the_loader_reads_every_schema_key_and_no_other() -> None:
    """No second list: a key added to the schema but not read, or read but not in the
    schema, fails here."""
    full = _example("", schema())
    assert problems(full) == []
    seen: set[str] = set()
    profile = profile_from(_Reads(full, seen))
    assert seen == set(key_paths())
    # and every value arrives in the typed profile
    assert (
        profile.sandbox is not None and profile.sandbox.recipient == "value-of-.sandbox.recipient"
    )
    assert profile.disposable_recreate == "value-of-.disposable_channel.recreate"
    assert profile.disposable_recreate_timeout == 7.0 and profile.template_support is True
    assert profile.channels_api is not None and profile.channels_api.port == 7
    assert profile.credentials.client_secret.reveal() == "value-of-.credentials.client_secret"


def test_the_schema_defaults_are_the_loaders() -> None:
    profile = parse_profile(BASE + "rate_limit_probe: {}\ndisposable_channel: {id: d}\n")
    nodes = dict(_nodes(schema()))
    assert profile.rate_limit_probe is not None
    assert profile.rate_limit_probe.requests == nodes["rate_limit_probe.requests"]["default"]
    assert profile.rate_limit_probe.seconds == nodes["rate_limit_probe.seconds"]["default"]
    assert profile.disposable_recreate_timeout == nodes["disposable_channel.timeout"]["default"]
    assert profile.template_support is nodes["template_support"]["default"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("disposable_channel: [1]", "disposable_channel: must be a string, not list"),
        ("disposable_channel: ''", "disposable_channel: must not be empty"),
        ("disposable_channel: {recreate: x}", "disposable_channel.id: is required"),
        ("disposable_channel: {id: d, timeout: 0}", "disposable_channel.timeout: must be a pos"),
        ("disposable_channel: {id: d, recreat: x}", "'disposable_channel.recreat' (did you mean"),
        ("rate_limit_probe: {requests: 0}", "rate_limit_probe.requests: must be a positive"),
        ("rate_limit_probe: {seconds: .inf}", "rate_limit_probe.seconds: must be a positive"),
        ("rate_limit_probe: {requests: true}", "rate_limit_probe.requests: must be a positive"),
        ("rate_limit_probe: [1]", "rate_limit_probe: must be a mapping"),
        ("channels_api: {token: t, port: null}", "channels_api.port: must be a positive"),
        ("channels_api: {token: null}", "channels_api.token: is required"),
        ("fixtures: {suspended_channel: 1.5}", "fixtures.suspended_channel: must be a string, not"),
        ("sandbox: {conversation: c, sender: s}", "sandbox.recipient: is required"),
        ("sandbox: {conversation: '', sender: s, recipient: r}", "sandbox.conversation: must not"),
        ("template_support: null", "template_support: must be true or false"),
        ("1: x", "unknown profile key '1'"),
    ],
)
def test_schema_errors_read_as_one_line_naming_the_key(extra: str, message: str) -> None:
    with pytest.raises(ConformanceError, match=re.escape(message)) as info:
        parse_profile(BASE + extra, source="p.yaml")
    assert str(info.value).startswith("p.yaml: ") and "\n" not in str(info.value)


def test_values_json_cannot_hold_are_named_by_their_type() -> None:
    with pytest.raises(ConformanceError, match="channel: must be a string, not date"):
        parse_profile(BASE.replace("channel: c", "channel: 2024-01-01"))
    with pytest.raises(ConformanceError, match="channels_api.port: must be a positive number"):
        parse_profile(BASE + "channels_api: {token: t, port: !!binary aGk=}")


def test_every_unknown_key_is_named_at_once_before_other_problems() -> None:
    with pytest.raises(ConformanceError) as info:
        parse_profile("chanel: c\nsandbx: {}\nfixtures: {suspended: x}\n")
    text = str(info.value)
    assert "'chanel' (did you mean 'channel'?)" in text and "'sandbx'" in text
    assert "'fixtures.suspended'" in text and "is required" not in text


def test_the_first_problem_in_schema_order_is_named() -> None:
    with pytest.raises(ConformanceError, match=r"^<profile>: manifest: is required$"):
        parse_profile("channel: [1]\n")


def test_init_profiles_carry_the_modeline_naming_the_installed_schema(tmp_path) -> None:
    from conformance.faces.init import write_profile

    path, _ = write_profile(tmp_path / "profile.yaml", None, "acme-1")
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == modeline()
    named = first.removeprefix("# yaml-language-server: $schema=")
    assert Path(named) == SCHEMA_PATH.resolve() and Path(named).is_absolute()
    assert SCHEMA_PATH.is_file()


def test_the_profile_schema_command_prints_the_installed_path(capsys) -> None:
    assert main(["profile-schema"]) == 0
    printed = capsys.readouterr().out.strip()
    assert json.loads(open(printed, encoding="utf-8").read()) == schema()
