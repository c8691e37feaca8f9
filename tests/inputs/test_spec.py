"""Both specs (ours and Pipedrive's published file) load and bind to manifests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from conformance.errors import ConformanceError
from conformance.inputs.spec import bind, default_spec_path, load_spec

DOCS = json.loads((Path(__file__).parents[1] / "data" / "docs-manifest.json").read_text())[
    "endpoints"
]
UPSTREAM = (
    Path(__file__).resolve().parents[3]
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
VARIABLES = ("providerChannelId", "sourceConversationId", "senderId", "sourceMessageId")


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


@pytest.mark.parametrize("path", specs())
@pytest.mark.parametrize("endpoints", [DOCS, PREFIXED], ids=["docs", "prefixed"])
def test_fuzzing_generates_exactly_the_manifest_variables(path, endpoints) -> None:
    """Fuzzing draws from the bound spec: its path parameters are the manifest URL's
    variables, so every generated case fills the vendor's URL and nothing else."""
    from conformance.inputs.manifest import EndpointTemplate

    schema = schemathesis.openapi.from_dict(bind(load_spec(path), endpoints))
    for op_id, url in endpoints.items():
        operation = schema.find_operation_by_id(op_id)
        declared = {p.name for p in operation.path_parameters}
        assert declared == set(EndpointTemplate(op_id, url).variables), op_id


@pytest.mark.parametrize("path", specs())
def test_operations_know_their_query_parameters(path) -> None:
    operations = load_spec(path).operations
    assert set(operations["getConversations"].query_params) == {
        "conversations_limit",
        "messages_limit",
        "after",
    }
    assert set(operations["getConversationById"].query_params) == {"messages_limit", "after"}
    assert operations["getConversations"].query_params["messages_limit"]["type"] == "integer"
    assert not operations["postMessage"].query_params


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
    assert {403, 404, 429}.isdisjoint(published.documented_statuses("deleteChannelById"))
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


def test_a_spec_is_parsed_once_per_content_and_again_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    text = default_spec_path().read_text()
    path.write_text(text)
    first = load_spec(path)
    assert load_spec(path) is first  # same bytes: the parsed Spec is reused
    path.write_text(text + "\nx-edited: true\n")
    changed = load_spec(path)
    assert changed is not first and changed.digest != first.digest
    assert changed.raw["x-edited"] is True and "x-edited" not in first.raw
    path.write_text("openapi: [unclosed")
    with pytest.raises(ConformanceError, match="does not parse"):
        load_spec(path)  # a broken edit is seen, never hidden behind the earlier parse


def test_libyaml_and_pure_python_yaml_read_the_spec_alike() -> None:
    import yaml

    data = default_spec_path().read_bytes()
    assert yaml.load(data, Loader=yaml.SafeLoader) == load_spec().raw


def test_missing_spec_file(tmp_path: Path) -> None:
    with pytest.raises(ConformanceError, match="cannot read spec") as info:
        load_spec(tmp_path / "absent.yaml")
    assert info.value.where == str(tmp_path / "absent.yaml")


def conversation_list() -> dict:
    message = {
        "id": "m1",
        "status": "read",
        "created_at": "2024-01-01T10:00:00.123Z",
        "message": "hi",
        "sender_id": "u1",
        "attachments": [{"id": "a", "type": "image/png", "url": "https://x.io/a.png"}],
    }
    participants = [
        {"id": "u1", "name": "Ann", "role": "end_user"},
        {"id": "u2", "name": "Bo", "role": "source_user", "vendor_extra": 1},
    ]
    conversation = {
        "id": "c",
        "link": "https://x.io/c",
        "status": "closed",
        "seen": True,
        "next_messages_cursor": "",
        "messages": [message],
        "participants": participants,
    }
    return {"success": True, "data": [conversation], "additional_data": {"after": "p2"}}


def test_response_schemas_work_with_the_jsonschema_package() -> None:
    import jsonschema

    spec = load_spec()
    schema = spec.response_schema("getConversations", 200)
    assert "$ref" not in str(schema) and "nullable" not in str(schema)
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    good = conversation_list()
    assert not list(validator.iter_errors(good))
    conversation = good["data"][0]
    message = conversation["messages"][0]
    for bad in (
        {**conversation, "status": "archived"},
        {**conversation, "next_messages_cursor": None},
        {**conversation, "messages": [{**message, "created_at": "2024-01-01T10:00:00+02:00"}]},
        {**conversation, "messages": [{k: v for k, v in message.items() if k != "sender_id"}]},
    ):
        assert list(validator.iter_errors({**good, "data": [bad]})), bad
    bare = jsonschema.Draft7Validator(spec.response_schema("getMessageById", 200))
    assert bare.is_valid(message) and not bare.is_valid({"success": True, "data": message})
    limited = jsonschema.Draft7Validator(spec.response_schema("postMessage", 429))
    body = {"success": False, "data": {"message": "slow", "code": "RATE_LIMIT_EXCEEDED"}}
    assert not limited.is_valid(body)
    assert limited.is_valid({**body, "data": {**body["data"], "retry_by": "2030-01-01T00:00:00Z"}})
    assert spec.response_schema("getTemplates", 400) is None
    assert spec.response_schema("nope", 200) is None and spec.documented_statuses("nope") == set()


# The three required operations; getConversations' 200 body is the schema named `ref`.
MINIMAL = (
    "openapi: 3.0.3\npaths:\n"
    "  /a: {{get: {{operationId: getConversations, responses: {{'200': {{description: ok,"
    " content: {{application/json: {{schema: {{$ref: '#/components/schemas/{ref}'}}}}}}}}}}}}}}\n"
    "  /b: {{get: {{operationId: getConversationById}}}}\n"
    "  /c: {{post: {{operationId: postMessage}}}}\n"
)


def test_openapi_30_bounds_and_nullable_become_json_schema(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        MINIMAL.format(ref="N")
        + "components: {schemas: {N: {type: integer, nullable: true, minimum: 0,"
        " exclusiveMinimum: true, example: 3, format: url}}}\n"
    )
    schema = load_spec(path).response_schema("getConversations", 200)
    assert schema == {"type": ["integer", "null"], "exclusiveMinimum": 0, "format": "uri"}


def test_a_broken_ref_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(MINIMAL.format(ref="Gone"))
    with pytest.raises(ConformanceError, match="points nowhere") as info:
        load_spec(path)
    assert info.value.where == str(path)


def test_bind_refuses_collisions() -> None:
    spec = load_spec()
    with pytest.raises(ConformanceError, match="share GET"):
        bind(spec, {**DOCS, "getTemplates": DOCS["getConversations"]})


def test_bind_keeps_each_operation_on_its_own_host() -> None:
    bound = bind(
        load_spec(), {**DOCS, "getTemplates": "https://other.example/t/:providerChannelId"}
    )
    assert bound["servers"] == [{"url": "https://example.com"}]
    templates = bound["paths"]["/t/{providerChannelId}"]["get"]
    assert templates["servers"] == [{"url": "https://other.example"}]
