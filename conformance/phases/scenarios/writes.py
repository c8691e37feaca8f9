"""Side effects, only where the profile allows: posts to the sandbox, deleting the disposable.

Without a sandbox conversation or disposable channel these rules are SKIPPED (the verdict is
then at best `incomplete`), never silently passed: the suite does not write to production.

Stage: phases.
"""

from __future__ import annotations

from conformance.model import Exchange
from conformance.phases import disposable
from conformance.phases.scenarios.access import serves
from conformance.phases.scenarios.session import Session

ATTACHMENT = ("conformance.txt", b"messaging-conformance test attachment\n", "text/plain")
POST_RULES = ("post.accepts-multipart", "post.invalid-body", "participants.group-post-rejected")


def _second_participant(session: Session, exclude: set[str]) -> str | None:
    """A real participant id of the channel, other than the sandbox's own speakers."""
    for pid, participant in sorted(session.seen.participants.items()):
        if pid not in exclude and participant.get("role") == "end_user":
            return pid
    return next((pid for pid in sorted(session.seen.participants) if pid not in exclude), None)


def post(session: Session, rules: frozenset[str] = frozenset(POST_RULES)) -> None:
    """Valid posts (text, with a file), invalid ones, and a group post: only the sandbox."""
    sandbox = session.profile.sandbox
    if sandbox is None or not session.has("postMessage"):
        why = (
            "the profile names no sandbox conversation"
            if sandbox is None
            else session.unbound("postMessage")
        )
        for rule in POST_RULES:
            session.cannot_gather(rule, why)
        return
    base = {
        "conversationId": sandbox.conversation,
        "senderId": sandbox.sender,
        "recipientIds": sandbox.recipient,
    }
    if "post.accepts-multipart" in rules:
        valid: list[Exchange | None] = []
        for label, form, files in (
            ("text only", {**base, "message": "messaging-conformance: text message"}, None),
            ("with a file", {**base, "message": "messaging-conformance: with file"}, [ATTACHMENT]),
        ):
            valid.append(
                session.call(
                    "postMessage", "posts", form=form, files=files, context={"label": label}
                )
            )
        session.conclude("posts", valid)
    # Posts that must be refused with 400 INVALID_BODY: (rule, what, form).
    invalid: list[tuple[str, str, dict[str, str]]] = []
    if "post.invalid-body" in rules:
        without_conversation = {k: v for k, v in base.items() if k != "conversationId"}
        invalid += [
            ("post.invalid-body", "postMessage without message or files", base),
            (
                "post.invalid-body",
                "postMessage without conversationId",
                {**without_conversation, "message": "messaging-conformance"},
            ),
        ]
    if "participants.group-post-rejected" in rules:
        rule = "participants.group-post-rejected"
        other = _second_participant(session, {sandbox.sender, sandbox.recipient})
        if other is None:
            session.cannot_gather(rule, "no second real participant id was seen to address a group")
        else:
            group = {
                **base,
                "recipientIds": f"{sandbox.recipient},{other}",
                "message": "messaging-conformance: group message (must be refused)",
            }
            invalid.append((rule, "postMessage to 2 recipientIds (both real participants)", group))
    refused = [
        session.call("postMessage", "refusals", form=form, context=serves(rule, what))
        for rule, what, form in invalid
    ]
    session.conclude("refusals", refused)


def delete(session: Session) -> None:
    """The disposable channel exists, is deleted, and then it must be gone (404 NOT_FOUND)."""
    rule, channel = "delete.channel", session.profile.disposable_channel
    if channel is None or not session.has("deleteChannelById"):
        session.cannot_gather(
            rule,
            "the profile names no disposable_channel"
            if channel is None
            else session.unbound("deleteChannelById"),
        )
        return
    not_ready = disposable.prepare(session)  # the profile's recreate command, if any
    if not_ready is not None:
        session.cannot_gather(rule, not_ready)
        return
    path = {"providerChannelId": channel}
    context = {"channel": channel}
    exists = session.call(
        "getConversations",
        "delete",
        path,
        query={"conversations_limit": 1},
        context={**context, "probe": "exists"},
    )
    evidence = [exists]
    if exists is not None and exists.response is not None and exists.response.status != 404:
        deleted = session.call(
            "deleteChannelById", "delete", path, context={**context, "probe": "delete"}
        )
        evidence.append(deleted)
        if deleted is not None and deleted.response is not None and deleted.response.status == 200:
            evidence.append(
                session.call(
                    "getConversations", "delete", path, context={**context, "probe": "after"}
                )
            )
    session.conclude("delete", evidence)
