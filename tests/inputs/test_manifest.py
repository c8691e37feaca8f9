"""Manifest loading, linting into manifest.* findings, and URL binding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.errors import ConformanceError
from conformance.http.fetch import load_manifest
from conformance.inputs.manifest import (
    EndpointTemplate,
    capability_findings,
    lint,
    parse_manifest,
)

DOCS = Path(__file__).parents[1] / "data" / "docs-manifest.json"


def docs_raw() -> dict:
    return json.loads(DOCS.read_text())


def write(tmp_path: Path, raw: object) -> Path:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(raw))
    return path


def rules_of(path: Path) -> list[str]:
    return sorted(f.rule for f in lint(load_manifest(path)))


def test_docs_manifest_is_clean_and_binds_every_operation() -> None:
    manifest = load_manifest(DOCS)
    assert lint(manifest) == []
    assert len(manifest.endpoints) == 7
    url = manifest.endpoints["getMessageById"].url(
        providerChannelId="c1", sourceConversationId="v 2", sourceMessageId="m/3"
    )
    assert url == "https://example.com/api/channels/c1/conversations/v%202/messages/m%2F3"


@pytest.mark.parametrize(
    ("mutate", "rule"),
    [
        (lambda raw: raw["endpoints"].pop("postMessage"), "manifest.required-endpoints"),
        (
            lambda raw: raw["endpoints"].__setitem__(
                "getConversationById", "https://example.com/api/channels/:providerChannelId/c"
            ),
            "manifest.url-variables",
        ),
        (lambda raw: raw.__setitem__("version", "v1"), "manifest.schema"),
        (
            lambda raw: raw["endpoints"].__setitem__(
                "getTemplates", "http://example.com/api/channels/:providerChannelId/templates"
            ),
            "manifest.https",
        ),
        (
            lambda raw: raw["endpoints"].__setitem__("getConversation", "https://example.com/x"),
            "manifest.unknown-endpoint",
        ),
        (
            lambda raw: raw["endpoints"].__setitem__(
                "getTemplates", "/relative/:providerChannelId"
            ),
            "manifest.url-variables",
        ),
        (
            lambda raw: raw["endpoints"].__setitem__(
                "getTemplates", "https://example.com/:providerChannelId/:senderId"
            ),
            "manifest.url-variables",
        ),
        (lambda raw: raw.__setitem__("endpoints", ["not", "an", "object"]), "manifest.schema"),
        (lambda raw: raw["endpoints"].__setitem__("getTemplates", 42), "manifest.schema"),
    ],
)
def test_each_defect_names_its_rule(tmp_path: Path, mutate, rule: str) -> None:
    raw = docs_raw()
    mutate(raw)
    assert rules_of(write(tmp_path, raw)) == [rule]


def test_unknown_top_level_key_is_named_and_known_ones_are_not(tmp_path: Path) -> None:
    raw = docs_raw()
    raw["provider_type"] = "whatsapp"  # what a real bridge's manifest carried
    findings = lint(load_manifest(write(tmp_path, raw)))
    assert [(f.rule, f.message) for f in findings] == [
        (
            "manifest.unknown-endpoint",
            "unknown top-level manifest key 'provider_type': only 'version' and 'endpoints' "
            "are read",
        )
    ]
    del raw["provider_type"]
    assert lint(load_manifest(write(tmp_path, raw))) == []


def test_mixed_variable_styles_and_short_message_path_bind(tmp_path: Path) -> None:
    raw = docs_raw()
    raw["endpoints"]["getConversationById"] = (
        "https://example.com/api/channels/{providerChannelId}/conversations/:sourceConversationId"
    )
    raw["endpoints"]["getMessageById"] = (
        "https://example.com/api/channels/:providerChannelId/messages/{sourceMessageId}"
    )
    manifest = load_manifest(write(tmp_path, raw))
    assert lint(manifest) == []
    assert manifest.endpoints["getConversationById"].path_template == (
        "/api/channels/{providerChannelId}/conversations/{sourceConversationId}"
    )


def test_plain_http_is_fine_on_loopback() -> None:
    template = EndpointTemplate("getTemplates", "http://127.0.0.1:8080/c/:providerChannelId")
    assert template.variables == ("providerChannelId",)
    assert template.url(providerChannelId="x") == "http://127.0.0.1:8080/c/x"


def test_loopback_http_gives_no_https_finding(tmp_path: Path) -> None:
    raw = docs_raw()
    raw["endpoints"] = {
        k: v.replace("https://example.com", "http://localhost:9")
        for k, v in raw["endpoints"].items()
    }
    assert rules_of(write(tmp_path, raw)) == []


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00", b""])
def test_unparseable_manifest_is_an_input_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "manifest.json"
    path.write_bytes(content)
    with pytest.raises(ConformanceError) as info:
        load_manifest(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(ConformanceError, match="cannot read manifest"):
        load_manifest(tmp_path / "absent.json")


def test_capability_endpoints_follow_what_the_data_needs(tmp_path: Path) -> None:
    raw = docs_raw()
    for name in ("getSenderById", "getTemplates", "getMessageById"):
        raw["endpoints"].pop(name)
    manifest = load_manifest(write(tmp_path, raw))
    found = capability_findings(
        manifest, avatar_flags=True, template_support=True, link_expires=True
    )
    assert sorted(f.operation for f in found) == ["getMessageById", "getSenderById", "getTemplates"]
    assert all(f.rule == "manifest.capability-endpoints" for f in found)
    assert (
        capability_findings(
            manifest, avatar_flags=False, template_support=False, link_expires=False
        )
        == []
    )


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda c: (
        st.lists(c, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["version", "endpoints", "getConversations", "postMessage", "getMessageById"]
            )
            | st.text(max_size=8),
            c,
            max_size=5,
        )
    ),
    max_leaves=25,
)
URLISH = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda host, path: f"https://{host}/{path}",
        st.text(max_size=15),
        st.text(alphabet=":{}/abcdefghijklmnopqrstuvwxyzIC", max_size=40),
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=200),
        JSONISH.map(lambda v: json.dumps(v).encode()),
        st.dictionaries(
            st.sampled_from(
                [
                    "getConversations",
                    "getConversationById",
                    "postMessage",
                    "getSenderById",
                    "getMessageById",
                    "x",
                ]
            ),
            URLISH,
        ).map(lambda e: json.dumps({"version": "v202101", "endpoints": e}).encode()),
    )
)
def test_garbage_manifests_only_ever_raise_our_error(data: bytes) -> None:
    try:
        manifest = parse_manifest(data, "garbage.json")
    except ConformanceError as exc:
        assert "\n" not in str(exc)
        return
    for finding in lint(manifest):
        assert finding.rule.startswith("manifest.")
    for endpoint in manifest.endpoints.values():
        endpoint.url(**{name: "x/y" for name in endpoint.variables})
