"""The suite's single-exchange rules as a schemathesis custom check.

Registering `messaging_conformance_rules` lets anyone who drives schemathesis directly (its
`st` command with `SCHEMATHESIS_HOOKS=conformance.st_checks`, or `case.validate_response` in
their own tests) judge responses by the same rule functions the suite uses; a failure names
each broken rule id. No rule is implemented twice: this adapts schemathesis' response to an
`Exchange` and calls `conformance.checks.judge`.

Stage: faces.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import schemathesis

from conformance.checks import judge
from conformance.checks.context import CheckContext
from conformance.inputs.spec import Spec, _operations
from conformance.model import Exchange, RecordedRequest, RecordedResponse

_SPECS: dict[int, tuple[Any, Spec]] = {}


def _spec_for(raw: dict[str, Any]) -> Spec:
    cached = _SPECS.get(id(raw))
    if cached is None or cached[0] is not raw:
        digest = hashlib.sha256(repr(sorted(raw)).encode()).hexdigest()
        cached = (raw, Spec(Path("<schemathesis>"), raw, digest, _operations(raw, "schema")))
        _SPECS[id(raw)] = cached
    return cached[1]


def exchange_from(response: Any, case: Any) -> Exchange:
    """A schemathesis response and case as the suite's recorded exchange (no credentials)."""
    prepared = response.request
    headers = {k: v for k, v in dict(prepared.headers).items() if k.lower() != "authorization"}
    request = RecordedRequest(
        prepared.method or case.method,
        prepared.url or "",
        headers,
        None,
        {k: str(v) for k, v in (case.query or {}).items()},
    )
    response_headers = {
        k: ", ".join(v) if isinstance(v, list) else str(v) for k, v in response.headers.items()
    }
    recorded = RecordedResponse(
        response.status_code, response_headers, response.content or b"", response.elapsed
    )
    operation = case.operation.definition.raw.get("operationId", case.operation.label)
    return Exchange(
        operation,
        request,
        recorded,
        phase="schemathesis",
        context={"auth": "valid" if "Authorization" in dict(prepared.headers) else "none"},
    )


@schemathesis.check
def messaging_conformance_rules(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every messaging-conformance rule that one response can break."""
    spec = _spec_for(case.operation.schema.raw_schema)
    exchange = exchange_from(response, case)
    rules = [
        r for r in _RULES if not (r == "auth.valid-accepted" and exchange.context["auth"] == "none")
    ]
    findings, _ = judge(exchange, CheckContext(spec=spec), rules)
    if findings:
        raise AssertionError("\n".join(f"{f.rule}: {f.message}" for f in findings))
    return None


def _rule_ids() -> list[str]:
    from conformance.checks import EXCHANGE_CHECKS

    return list(EXCHANGE_CHECKS)


_RULES = _rule_ids()
