"""The rules as a schemathesis custom check, driven in-process through schemathesis' WSGI
support against the reference app (no sockets)."""

from __future__ import annotations

import base64

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from conformance.inputs.spec import bind, load_spec
from conformance.reference import ReferenceConfig, create_app
from conformance.st_checks import messaging_conformance_rules
from tests.faults import FAULTS

AUTH = {"Authorization": "Basic " + base64.b64encode(b"reference-client:reference-secret").decode()}
ENDPOINTS = {
    "getConversations": "http://ref.test/api/channels/:providerChannelId/conversations",
    "getConversationById": "http://ref.test/api/channels/:providerChannelId/conversations/"
    ":sourceConversationId",
    "postMessage": "http://ref.test/api/channels/:providerChannelId/messages",
}


def schema_for(app):
    schema = schemathesis.openapi.from_dict(bind(load_spec(), ENDPOINTS))
    schema.app = app
    return schema


def run_cases(app, operation_id: str, path: dict, n: int = 10) -> list[str]:
    operation = schema_for(app).find_operation_by_id(operation_id)
    failures: list[str] = []

    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy(path_parameters=path))
    def one(case) -> None:
        response = case.call(headers=AUTH)
        try:
            case.validate_response(response, checks=[messaging_conformance_rules])
        except (AssertionError, BaseExceptionGroup) as exc:
            parts = getattr(exc, "exceptions", (exc,))
            failures.append("\n".join(str(getattr(p, "message", p)) for p in parts))

    one()
    return failures


def test_reference_passes_in_process() -> None:
    app = create_app(ReferenceConfig(rate_limit=None))
    assert run_cases(app, "getConversations", {"providerChannelId": "ref-main"}) == []
    assert (
        run_cases(
            app,
            "getConversationById",
            {"providerChannelId": "ref-main", "sourceConversationId": "conv-001"},
        )
        == []
    )


@pytest.mark.parametrize("rule", ["participants.exactly-two", "error.code-matches-status"])
def test_faulty_app_fails_naming_the_rule(rule: str) -> None:
    fault = next(f for f in FAULTS if f.rule == rule)
    app = fault.wrap(create_app(ReferenceConfig(rate_limit=None)))
    path = (
        {"providerChannelId": "ref-main"}
        if rule.startswith("participants")
        else {"providerChannelId": "no-such-channel"}
    )
    failures = run_cases(app, "getConversations", path)
    assert failures and any(rule in failure for failure in failures)
