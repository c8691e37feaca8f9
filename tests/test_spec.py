"""Both specs (ours and Pipedrive's published file) load and bind to manifests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from conformance.errors import ConformanceError
from conformance.spec import bind, default_spec_path, load_spec

DOCS = json.loads((Path(__file__).parent / "data" / "docs-manifest.json").read_text())["endpoints"]
UPSTREAM = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "upstream"
    / "omnichannel-integration.specs.yaml"
)
needs_upstream = pytest.mark.skipif(
    not UPSTREAM.exists(), reason="Pipedrive's published spec not present (../shared missing)"
)

PREFIXED = {
    op: url.replace("https://example.com/api", "https://chat.vendor.io/pd/v2")
    for op, url in DOCS.items()
}
PREFIXED["getMessageById"] = (
    "https://chat.vendor.io/pd/v2/channels/:providerChannelId/messages/{sourceMessageId}"
)


def specs() -> list:
    return [
        pytest.param(None, id="ours"),
        pytest.param(UPSTREAM, id="published", marks=needs_upstream),
    ]


def test_our_spec_is_valid_openapi() -> None:
    validator = pytest.importorskip(
        "openapi_spec_validator", reason="openapi-spec-validator not installed"
    )
    import yaml

    validator.validate(yaml.safe_load(default_spec_path().read_text()))


@pytest.mark.parametrize("path", specs())
@pytest.mark.parametrize("endpoints", [DOCS, PREFIXED], ids=["docs", "prefixed"])
def test_every_operation_binds_to_the_manifest_urls(path, endpoints) -> None:
    spec = load_spec(path)
    bound = bind(spec, endpoints)
    assert bound["servers"] == [
        {
            "url": endpoints["getConversations"].split("/")[0]
            + "//"
            + endpoints["getConversations"].split("/")[2]
        }
    ]
    schema = schemathesis.openapi.from_dict(bound)
    for op_id, url in endpoints.items():
        operation = schema.find_operation_by_id(op_id)
        expected = url.split("://", 1)[1].split("/", 1)[1]
        for name in ("providerChannelId", "sourceConversationId", "senderId", "sourceMessageId"):
            expected = expected.replace(f":{name}", f"{{{name}}}")
        assert operation.path == "/" + expected
        declared = {p.name for p in operation.path_parameters}
        assert declared == {
            n
            for n in ("providerChannelId", "sourceConversationId", "senderId", "sourceMessageId")
            if f"{{{n}}}" in operation.path
        }


@pytest.mark.parametrize("path", specs())
def test_generated_cases_hit_the_manifest_url(path) -> None:
    bound = bind(load_spec(path), PREFIXED)
    operation = schemathesis.openapi.from_dict(bound).find_operation_by_id("getMessageById")
    urls: list[str] = []

    @settings(max_examples=5, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(
        operation.as_strategy(path_parameters={"providerChannelId": "ch", "sourceMessageId": "m1"})
    )
    def collect(case) -> None:
        urls.append(case.as_transport_kwargs(base_url="https://chat.vendor.io")["url"])

    collect()
    assert set(urls) == {"https://chat.vendor.io/pd/v2/channels/ch/messages/m1"}


def test_documented_statuses_follow_the_errata() -> None:
    spec = load_spec()
    for op in spec.operations:
        assert {401, 403, 404, 429} <= spec.documented_statuses(op), op
    assert 400 in spec.documented_statuses("postMessage")
    assert 400 in spec.documented_statuses("getConversations")


@needs_upstream
def test_published_spec_lacks_what_errata_says() -> None:
    published = load_spec(UPSTREAM)
    assert 404 not in published.documented_statuses("getTemplates")
    assert 429 not in published.documented_statuses("deleteChannelById")
    assert "messages/{sourceMessageId}" in published.operations["getMessageById"].path
    assert "conversations" not in published.operations["getMessageById"].path


def test_response_schema_is_plain_json_schema() -> None:
    import jsonschema_rs

    spec = load_spec()
    schema = spec.response_schema("getConversations", 200)
    validator = jsonschema_rs.Draft7Validator(schema, validate_formats=True)
    good = {
        "success": True,
        "data": [
            {
                "id": "c",
                "link": "https://x.io/c",
                "status": "open",
                "seen": False,
                "participants": [],
                "messages": [],
            }
        ],
        "additional_data": {"after": ""},
    }
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "data": [{**good["data"][0], "status": "archived"}]})
    not_found = jsonschema_rs.Draft7Validator(spec.response_schema("getSenderById", 404))
    assert not_found.is_valid({"success": False, "data": {"message": "x", "code": "NOT_FOUND"}})
    assert not not_found.is_valid({"success": False, "data": {"message": "x", "code": "MISSING"}})


@needs_upstream
def test_published_schema_converts_url_format() -> None:
    schema = load_spec(UPSTREAM).response_schema("getConversations", 200)
    assert "format': 'url'" not in str(schema) and "'uri'" in str(schema)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("openapi: [unclosed", "does not parse at line"),
        ("- a\n- b", "not an OpenAPI 3.x"),
        ("swagger: '2.0'\npaths: {}", "not an OpenAPI 3.x"),
        ("openapi: 3.0.3\ninfo: {title: t, version: '1'}", "has no paths"),
        (
            "openapi: 3.0.3\npaths:\n  /x:\n    get: {operationId: getConversations}",
            "lacks operationId getConversationById, postMessage",
        ),
    ],
)
def test_bad_specs_are_one_line_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(content)
    with pytest.raises(ConformanceError, match=message) as info:
        load_spec(path)
    assert str(path) in str(info.value)


def test_missing_spec_file(tmp_path: Path) -> None:
    with pytest.raises(ConformanceError, match="cannot read spec"):
        load_spec(tmp_path / "absent.yaml")


def test_bind_refuses_mixed_origins_and_collisions() -> None:
    spec = load_spec()
    with pytest.raises(ConformanceError, match="different origins"):
        bind(spec, {**DOCS, "getTemplates": "https://other.example/t/:providerChannelId"})
    with pytest.raises(ConformanceError, match="share GET"):
        bind(spec, {**DOCS, "getTemplates": DOCS["getConversations"]})
