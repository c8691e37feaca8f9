"""Who may see what: credentials, the suspended and forbidden fixtures, unknown ids.

Each request is otherwise valid (real ids from discovery) so that the one thing wrong with
it, the credential or the id, is what the provider must answer to. Probes of the write
operations always target ids the suite made up, so a provider that ignores credentials or
ids still loses nothing: the disposable channel survives for delete.channel, and no real
conversation receives a message.

Stage: phases.
"""

from __future__ import annotations

from typing import Any

from conformance.inputs.contract import ENDPOINT_VARIABLES
from conformance.model import Exchange
from conformance.phases.scenarios.session import Session

STEP = "refusals"
READ_OPERATIONS = (
    "getConversations",
    "getConversationById",
    "getSenderById",
    "getTemplates",
    "getMessageById",
)
WRITE_OPERATIONS = ("postMessage", "deleteChannelById")
AUTH_CASES = (
    ("none", "auth.required", "no Authorization header"),
    ("wrong-secret", "auth.wrong-credentials", "wrong client secret"),
    ("wrong-id", "auth.wrong-credentials", "wrong client id"),
)


def serves(rule: str, what: str) -> dict[str, Any]:
    """The context of a request that must be refused: the rule it serves and what was sent.
    What the answer must be is the rule's own (conformance.checks.flows.REFUSALS)."""
    return {"rule": rule, "what": what}


def post_fields(session: Session) -> dict[str, str]:
    """A well-formed post body: the sandbox's speakers, else a listed conversation's."""
    sandbox = session.profile.sandbox
    if sandbox is not None:
        conversation, sender, recipient = sandbox.conversation, sandbox.sender, sandbox.recipient
    else:
        ids = session.sample_ids()
        conversation, sender, recipient = (ids["sourceConversationId"], ids["senderId"], "")
        roles = session.seen.roles_of(conversation)
        sender = roles.get("source_user", sender)
        recipient = roles.get("end_user", sender)
    return {
        "conversationId": conversation,
        "senderId": sender,
        "recipientIds": recipient,
        "message": "messaging-conformance probe (must be refused)",
    }


def _write_probe(session: Session, operation: str) -> dict[str, Any]:
    """Path and form for a write to a channel no provider holds (harmless whatever happens)."""
    path = {"providerChannelId": session.unknown_id("channel")}
    if operation == "deleteChannelById":
        return {"path": path}
    return {"path": path, "form": post_fields(session)}


def auth(session: Session) -> None:
    """No header, wrong secret, wrong id: every operation must answer 401 UNAUTHORIZED."""
    ids = session.sample_ids()
    evidence: list[Exchange | None] = []
    for operation in ENDPOINT_VARIABLES:
        if not session.has(operation):
            continue
        probe = _write_probe(session, operation) if operation in WRITE_OPERATIONS else {}
        path = {**ids, **probe.get("path", {})}
        for mode, rule, what in AUTH_CASES:
            evidence.append(
                session.call(
                    operation,
                    STEP,
                    path,
                    form=probe.get("form"),
                    auth=mode,
                    context=serves(rule, f"{operation} with {what}"),
                )
            )
    session.conclude(STEP, evidence)


def fixtures(session: Session) -> None:
    """Suspended account: 401 ACCOUNT_SUSPENDED; another account's channel: 403 FORBIDDEN."""
    ids = session.sample_ids()
    evidence: list[Exchange | None] = []
    for fixture, rule in (
        ("suspended_channel", "auth.account-suspended"),
        ("forbidden_channel", "error.forbidden"),
    ):
        channel = getattr(session.profile, fixture)
        if channel is None:
            session.cannot_gather(rule, f"the profile names no fixtures.{fixture}")
            continue
        for operation in READ_OPERATIONS:
            if session.has(operation):
                evidence.append(
                    session.call(
                        operation,
                        STEP,
                        {**ids, "providerChannelId": channel},
                        context={
                            "fixture": fixture,
                            **serves(rule, f"{operation} on {fixture} {channel!r}"),
                        },
                    )
                )
    session.conclude(STEP, evidence)


def unknown_ids(session: Session) -> None:
    """An id the provider cannot hold gets 404 NOT_FOUND, never an empty 200."""
    ids = session.sample_ids()
    evidence: list[Exchange | None] = []
    for operation in ENDPOINT_VARIABLES:
        if not session.has(operation):
            continue
        if operation in WRITE_OPERATIONS:
            probe = _write_probe(session, operation)
            path, form = {**ids, **probe["path"]}, probe.get("form")
        else:
            path, form = {**ids, "providerChannelId": session.unknown_id("channel")}, None
        what = f"{operation} with unknown providerChannelId"
        evidence.append(
            session.call(
                operation,
                STEP,
                path,
                form=form,
                context=serves("notfound.channel", what),
            )
        )
    probes = (
        ("getConversationById", "sourceConversationId", "notfound.conversation"),
        ("getSenderById", "senderId", "notfound.sender"),
        ("getMessageById", "sourceMessageId", "notfound.message"),
    )
    for operation, variable, rule in probes:
        if not session.has(operation):
            session.cannot_gather(rule, session.unbound(operation))
            continue
        what = f"{operation} with unknown {variable}"
        evidence.append(
            session.call(
                operation,
                STEP,
                {**ids, variable: session.unknown_id(variable)},
                context=serves(rule, what),
            )
        )
    session.conclude(STEP, evidence)
