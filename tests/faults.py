"""Faulty providers: the reference with one thing broken, the way real vendors break it.

A fault is WSGI middleware around the reference app (or a state edit), living with the tests
so the reference's own code path stays clean. Each names the rule it must trip.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from conformance.reference import ReferenceConfig, ReferenceServer

Wsgi = Callable[..., Iterable[bytes]]
# (environ, status, headers, body) -> (status, headers, body); body is parsed JSON or bytes
Rewrite = Callable[[dict, int, list[tuple[str, str]], Any], tuple[int, list, Any]]


def rewrite(fn: Rewrite) -> Callable[[Wsgi], Wsgi]:
    """Middleware that lets `fn` change a response's status, headers and (JSON) body."""

    def wrap(app: Wsgi) -> Wsgi:
        def middleware(environ: dict, start_response: Callable) -> Iterable[bytes]:
            captured: dict[str, Any] = {}

            def capture(status: str, headers: list, exc_info: Any = None) -> Callable:
                captured["status"], captured["headers"] = status, headers
                return lambda data: None

            raw = b"".join(app(environ, capture))
            status = int(captured["status"].split()[0])
            headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
            try:
                body: Any = json.loads(raw)
            except ValueError:
                body = raw
            status, headers, body = fn(environ, status, headers, body)
            out = body if isinstance(body, bytes) else json.dumps(body).encode()
            start_response(f"{status} X", [*headers, ("Content-Length", str(len(out)))])
            return [out]

        return middleware

    return wrap


def before(fn: Callable[[dict], None]) -> Callable[[Wsgi], Wsgi]:
    """Middleware that edits the request (environ) before the reference sees it."""

    def wrap(app: Wsgi) -> Wsgi:
        def middleware(environ: dict, start_response: Callable) -> Iterable[bytes]:
            fn(environ)
            return app(environ, start_response)

        return middleware

    return wrap


def path(environ: dict) -> str:
    return environ.get("PATH_INFO", "")


def is_list(environ: dict) -> bool:
    return path(environ).endswith("/conversations") and environ["REQUEST_METHOD"] == "GET"


def is_by_id(environ: dict) -> bool:
    return bool(re.search(r"/conversations/[^/]+$", path(environ)))


def conversations_of(body: Any) -> list[dict]:
    if not isinstance(body, dict) or body.get("success") is not True:
        return []
    data = body.get("data")
    items = data if isinstance(data, list) else [data]
    return [c for c in items if isinstance(c, dict) and "participants" in c]


# -- the faults ------------------------------------------------------------------------
def _code_missing(environ, status, headers, body):
    if status == 404:
        body["data"]["code"] = "MISSING"
    return status, headers, body


def _three_participants(environ, status, headers, body):
    for conversation in conversations_of(body):
        conversation["participants"].append(
            {"id": "extra-person", "name": "Extra", "role": "end_user"}
        )
    return status, headers, body


def _retry_by_spaced(environ, status, headers, body):
    if status == 429:
        body["data"]["retry_by"] = "2021-11-26 13:42:17"
    return status, headers, body


def _ignore_auth(environ: dict) -> None:
    token = base64.b64encode(b"reference-client:reference-secret").decode()
    environ["HTTP_AUTHORIZATION"] = f"Basic {token}"


def _looping_cursor(environ, status, headers, body):
    if is_list(environ) and status == 200 and body["additional_data"]["after"]:
        query = environ.get("QUERY_STRING", "")
        if "after=" in query:  # from the second page on, point back at the second page
            body["additional_data"]["after"] = re.search(r"after=([^&]*)", query).group(1)
    return status, headers, body


def _server_error_on_bad_limit(environ, status, headers, body):
    if status == 400 and environ["REQUEST_METHOD"] == "GET":
        return 500, headers, {"success": False, "data": {"message": "boom", "code": "ERROR"}}
    return status, headers, body


def _text_plain(environ, status, headers, body):
    headers = [(k, "text/plain" if k.lower() == "content-type" else v) for k, v in headers]
    return status, headers, body


AGENT = {"id": "agent-1", "name": "Agent", "role": "source_user"}
CONTACT = {"id": "contact-x", "name": "Contact", "role": "end_user"}


def _empty_not_found(environ, status, headers, body):
    unknown = status == 404 and str(body["data"]["message"]).startswith("Conversation")
    if unknown and is_by_id(environ):
        return (
            200,
            headers,
            {
                "success": True,
                "data": {
                    "id": path(environ).rsplit("/", 1)[1],
                    "link": "",
                    "status": "open",
                    "seen": True,
                    "participants": [AGENT, CONTACT],
                    "messages": [],
                    "next_messages_cursor": "",
                },
            },
        )
    return status, headers, body


def _wrong_id_by_id(environ, status, headers, body):
    if is_by_id(environ) and status == 200:
        body["data"]["id"] = "conv-999"
    return status, headers, body


def _post_without_id(environ, status, headers, body):
    if path(environ).endswith("/messages") and status == 200:
        body["data"] = {}
    return status, headers, body


def _delete_does_nothing(environ: dict) -> None:
    if environ["REQUEST_METHOD"] == "DELETE":
        environ["REQUEST_METHOD"] = "GET"
        environ["PATH_INFO"] += "/templates"


def _delete_ok(environ, status, headers, body):
    if (
        path(environ).endswith("/templates")
        and environ.get("conformance.was_delete")
        and status == 200
    ):
        return 200, headers, {"success": True}
    return status, headers, body


def _local_created_at(environ, status, headers, body):
    """The same moments in local time (+02:00): legal RFC 3339, but not UTC."""
    from datetime import datetime, timedelta, timezone

    local = timezone(timedelta(hours=2))
    for conversation in conversations_of(body):
        for message in conversation.get("messages", []):
            moment = datetime.fromisoformat(message["created_at"].replace("Z", "+00:00"))
            message["created_at"] = moment.astimezone(local).isoformat(timespec="seconds")
    return status, headers, body


def _slow_templates(environ: dict) -> None:
    if path(environ).endswith("/templates"):
        time.sleep(1.6)


def _null_cursor(environ, status, headers, body):
    for conversation in conversations_of(body):
        if conversation.get("next_messages_cursor") == "":
            conversation["next_messages_cursor"] = None
    return status, headers, body


def _suspended_as_unauthorized(environ, status, headers, body):
    if status == 401 and isinstance(body, dict) and body["data"]["code"] == "ACCOUNT_SUSPENDED":
        body["data"]["code"] = "UNAUTHORIZED"
    return status, headers, body


def _forbidden_as_not_found(environ, status, headers, body):
    if status == 403:
        return 404, headers, {"success": False, "data": {"message": "no", "code": "NOT_FOUND"}}
    return status, headers, body


def _accepts_group_posts(environ, status, headers, body):
    data = body.get("data") if isinstance(body, dict) else None
    refused_group = isinstance(data, dict) and "one recipient" in str(data.get("message"))
    if status == 400 and path(environ).endswith("/messages") and refused_group:
        return 200, headers, {"success": True, "data": {"id": "group-1"}}
    return status, headers, body


def _ignores_limit(environ: dict) -> None:
    environ["QUERY_STRING"] = re.sub(
        r"conversations_limit=\d+", "conversations_limit=30", environ.get("QUERY_STRING", "")
    )


@dataclass(frozen=True)
class Fault:
    """One way a real vendor breaks `rule`: middleware, and/or edits to manifest or profile.

    `clause` names the part of the rule it breaks (the coverage table lists them); `also`
    names, on purpose, the other MUST rules the same defect breaks, so a test can assert the
    exact set of failing MUST rules: a mutant never causes unexplained collateral failures.
    """

    name: str
    rule: str
    wrap: Callable[[Wsgi], Wsgi] | None = None
    timeout: float = 10.0
    profile_edit: Callable[[dict], None] | None = None
    manifest_edit: Callable[[dict], None] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    fuzz: bool = False
    clause: str = ""
    also: frozenset[str] = frozenset()


def _chain(*wrappers: Callable[[Wsgi], Wsgi]) -> Callable[[Wsgi], Wsgi]:
    def wrap(app: Wsgi) -> Wsgi:
        for wrapper in reversed(wrappers):
            app = wrapper(app)
        return app

    return wrap


def _mark_delete(environ: dict) -> None:
    if environ["REQUEST_METHOD"] == "DELETE":
        environ["conformance.was_delete"] = True


FAULTS = [
    Fault("404 code MISSING", "error.code-matches-status", rewrite(_code_missing)),
    Fault("three participants", "participants.exactly-two", rewrite(_three_participants)),
    Fault("retry_by with a space and no zone", "error.retry-by", rewrite(_retry_by_spaced)),
    Fault("auth ignored", "auth.required", before(_ignore_auth)),
    Fault("cursor that loops", "pagination.cursor-walk", rewrite(_looping_cursor)),
    Fault(
        "5xx on a bad query value", "status.no-server-error", rewrite(_server_error_on_bad_limit)
    ),
    Fault("JSON sent as text/plain", "response.content-type", rewrite(_text_plain)),
    Fault(
        "unknown conversation is an empty 200", "notfound.conversation", rewrite(_empty_not_found)
    ),
    Fault(
        "by-id returns another conversation",
        "consistency.conversation-by-id",
        rewrite(_wrong_id_by_id),
    ),
    Fault("postMessage returns no id", "post.accepts-multipart", rewrite(_post_without_id)),
    Fault(
        "delete does nothing",
        "delete.channel",
        _chain(before(_mark_delete), before(_delete_does_nothing), rewrite(_delete_ok)),
    ),
    Fault("local-time created_at", "response.schema", rewrite(_local_created_at)),
    Fault(
        "slow endpoint past the timeout", "robustness.timeout", before(_slow_templates), timeout=1.0
    ),
    Fault(
        "suspended reported as UNAUTHORIZED",
        "auth.account-suspended",
        rewrite(_suspended_as_unauthorized),
    ),
    Fault("forbidden reported as 404", "error.forbidden", rewrite(_forbidden_as_not_found)),
    Fault(
        "group posts accepted", "participants.group-post-rejected", rewrite(_accepts_group_posts)
    ),
    Fault("conversations_limit ignored", "pagination.conversations-limit", before(_ignores_limit)),
    Fault("next_messages_cursor null", "response.null-cursor", rewrite(_null_cursor)),
]


@contextmanager
def provider(
    tmp_path: Path,
    wrap: Callable[[Wsgi], Wsgi] | None = None,
    profile_edit: Callable[[dict], None] | None = None,
    config: ReferenceConfig | None = None,
    manifest_edit: Callable[[dict], None] | None = None,
) -> Iterator[tuple[ReferenceServer, Path]]:
    """A (possibly faulty) reference provider on loopback and a profile for it."""
    with ReferenceServer(config, wsgi_wrapper=wrap) as server:
        if hasattr(wrap, "attach"):
            wrap.attach(server)  # type: ignore[union-attr]
        tmp_path.mkdir(parents=True, exist_ok=True)
        profile = server.profile()
        if manifest_edit is not None:
            manifest = server.manifest()
            manifest_edit(manifest)
            (tmp_path / "manifest.json").write_text(json.dumps(manifest))
            profile["manifest"] = "manifest.json"
        if profile_edit is not None:
            profile_edit(profile)
        path = tmp_path / "profile.yaml"
        path.write_text(yaml.safe_dump(profile))
        yield server, path


# -- more faults: one at least for every rule ---------------------------------------------
def _only(predicate: Callable[[dict, int, Any], bool], change: Callable[[dict, Any], Any]):
    def fn(environ, status, headers, body):
        if predicate(environ, status, body):
            result = change(environ, body)
            if isinstance(result, tuple):
                return result[0], headers if len(result) < 3 else result[2], result[1]
        return status, headers, body

    return rewrite(fn)


def _ends(suffix: str) -> Callable[[dict, int, Any], bool]:
    return lambda env, status, body: path(env).endswith(suffix) and status == 200


def _set_role(env, body):
    for conversation in conversations_of(body):
        for participant in conversation["participants"]:
            participant["role"] = "end_user"


def _same_ids(env, body):
    for conversation in conversations_of(body):
        conversation["participants"][1]["id"] = conversation["participants"][0]["id"]
        for message in conversation.get("messages", []):
            message["sender_id"] = conversation["participants"][0]["id"]
    if "/messages/" in path(env) and isinstance(body, dict) and "sender_id" in body:
        body["sender_id"] = "agent-1"  # getMessageById says what the conversation says


def _ghost_senders(app: Wsgi) -> Wsgi:
    """The provider's data: the newest message of every conversation from a sender who is no
    participant (every view shows it: the list, by id, getMessageById)."""
    for conversation in app.extensions["reference_state"].channels["ref-main"]["conversations"]:
        conversation["messages"][0]["sender_id"] = "ghost-sender"
    return app


def _enum_outside(env, body):
    for conversation in conversations_of(body):
        conversation["status"] = "archived"


def _accept_wrong_secret(environ: dict) -> None:
    if environ.get("HTTP_AUTHORIZATION"):
        _ignore_auth(environ)


def _valid_refused(environ, status, headers, body):
    if path(environ).endswith("/templates") and status == 200:
        return (
            401,
            headers,
            {"success": False, "data": {"message": "expired", "code": "UNAUTHORIZED"}},
        )
    return status, headers, body


def _html_401(environ, status, headers, body):
    if status == 401:
        return 401, [("Content-Type", "text/html")], b"<html><h1>401 Unauthorized</h1></html>"
    return status, headers, body


def _no_message(environ, status, headers, body):
    if 400 <= status < 500 and isinstance(body, dict):
        body["data"].pop("message", None)
    return status, headers, body


def _success_string(environ, status, headers, body):
    if 400 <= status < 500 and isinstance(body, dict):
        body["success"] = "false"
    return status, headers, body


def _far_retry_by(environ, status, headers, body):
    if status == 429:
        body["data"]["retry_by"] = "2099-01-01T00:00:00.000Z"
    return status, headers, body


def _retry_by_missing(environ, status, headers, body):
    if status == 429:
        body["data"].pop("retry_by", None)
    return status, headers, body


def _unknown_channel_empty(environ, status, headers, body):
    if status == 404 and is_list(environ):
        return 200, headers, {"success": True, "data": [], "additional_data": {"after": ""}}
    return status, headers, body


def _unknown_sender_found(environ, status, headers, body):
    if status == 404 and str(body["data"]["message"]).startswith("Sender"):
        sender = path(environ).rsplit("/", 1)[1]
        return (
            200,
            headers,
            {
                "success": True,
                "data": {"id": sender, "name": "Someone", "avatar_url": "https://x.example/a.png"},
            },
        )
    return status, headers, body


def _unknown_message_found(environ, status, headers, body):
    if status == 404 and str(body["data"]["message"]).startswith("Message"):
        return (
            200,
            headers,
            {
                "id": path(environ).rsplit("/", 1)[1],
                "status": "sent",
                "created_at": "2024-05-01T10:00:00.000Z",
                "message": "?",
                "sender_id": "agent-1",
            },
        )
    return status, headers, body


def _sender_other_id(environ, status, headers, body):
    if "/senders/" in path(environ) and status == 200:
        body["data"]["id"] = "agent-1"
        if path(environ).endswith("/agent-1"):
            body["data"]["id"] = "contact-003"
    return status, headers, body


def _message_other_id(environ, status, headers, body):
    if "/messages/" in path(environ) and status == 200 and environ["REQUEST_METHOD"] == "GET":
        body["id"] = "msg-001-001" if body["id"] != "msg-001-001" else "msg-001-002"
    return status, headers, body


def _messages_cursor_repeats(environ, status, headers, body):
    if is_by_id(environ) and status == 200 and "after=" in environ.get("QUERY_STRING", ""):
        body["data"]["next_messages_cursor"] = re.search(
            r"after=([^&]*)", environ["QUERY_STRING"]
        ).group(1)
    return status, headers, body


def _ignore_messages_limit(environ: dict) -> None:
    environ["QUERY_STRING"] = re.sub(
        r"messages_limit=\d+", "messages_limit=30", environ.get("QUERY_STRING", "")
    )


def _accept_empty_posts(environ, status, headers, body):
    if status == 400 and path(environ).endswith("/messages"):
        return 200, headers, {"success": True, "data": {"id": "accepted-anything"}}
    return status, headers, body


def _reject_files(environ: dict) -> None:
    if environ["REQUEST_METHOD"] == "POST" and b"filename=" in environ.get("conformance.body", b""):
        environ["PATH_INFO"] = environ["PATH_INFO"].replace("/messages", "/nowhere")


def _buffer_body(environ: dict) -> None:
    import io

    if environ["REQUEST_METHOD"] == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        data = environ["wsgi.input"].read(length)
        environ["conformance.body"] = data
        environ["wsgi.input"] = io.BytesIO(data)


def _files_to_400(environ, status, headers, body):
    if path(environ).endswith("/nowhere"):
        return (
            400,
            headers,
            {"success": False, "data": {"message": "files not supported", "code": "INVALID_BODY"}},
        )
    return status, headers, body


def _success_string_2xx(environ, status, headers, body):
    if path(environ).endswith("/templates") and status == 200:
        body["success"] = "true"
    return status, headers, body


def _accepted_202(environ, status, headers, body):
    if path(environ).endswith("/messages") and status == 200:
        return 202, headers, body
    return status, headers, body


def _bad_limit_404(environ, status, headers, body):
    if status == 400 and environ["REQUEST_METHOD"] == "GET":
        return (
            404,
            headers,
            {"success": False, "data": {"message": "no such page", "code": "NOT_FOUND"}},
        )
    return status, headers, body


def _drop(name: str) -> Callable[[dict], None]:
    return lambda manifest: manifest["endpoints"].pop(name)


def _http_delete(manifest: dict) -> None:
    manifest["endpoints"]["deleteChannelById"] = (
        "http://provider.example/api/channels/:providerChannelId"
    )


def _no_disposable(profile: dict) -> None:
    profile.pop("disposable_channel")


FAULTS += [
    Fault("two end_users", "participants.roles", _only(lambda e, s, b: s == 200, _set_role)),
    Fault(
        "duplicate participant ids",
        "participants.unique-ids",
        _only(lambda e, s, b: s == 200, _same_ids),
    ),
    Fault(
        "unknown sender_id",
        "participants.sender-known",
        _ghost_senders,
    ),
    Fault(
        "enum value outside the spec",
        "response.schema",
        _only(lambda e, s, b: s == 200, _enum_outside),
    ),
    Fault("wrong secret accepted", "auth.wrong-credentials", before(_accept_wrong_secret)),
    Fault("valid credentials refused", "auth.valid-accepted", rewrite(_valid_refused)),
    Fault("HTML 401 page", "error.envelope", rewrite(_html_401)),
    Fault("missing data.message", "error.envelope", rewrite(_no_message)),
    Fault('success "false" as a string', "error.envelope", rewrite(_success_string)),
    Fault("retry_by missing", "error.retry-by", rewrite(_retry_by_missing)),
    Fault(
        "retry_by decades ahead",
        "error.retry-by-horizon",
        rewrite(_far_retry_by),
        options={"retry_cap": 0.3},
    ),
    Fault("unknown channel is an empty list", "notfound.channel", rewrite(_unknown_channel_empty)),
    Fault("unknown sender is found", "notfound.sender", rewrite(_unknown_sender_found)),
    Fault("unknown message is found", "notfound.message", rewrite(_unknown_message_found)),
    Fault("sender by id returns another", "consistency.sender-by-id", rewrite(_sender_other_id)),
    Fault("message by id returns another", "consistency.message-by-id", rewrite(_message_other_id)),
    Fault(
        "messages cursor repeats", "pagination.messages-cursor", rewrite(_messages_cursor_repeats)
    ),
    Fault("messages_limit ignored", "pagination.messages-limit", before(_ignore_messages_limit)),
    Fault("empty posts accepted", "post.invalid-body", rewrite(_accept_empty_posts)),
    Fault(
        "posts with files rejected",
        "post.accepts-multipart",
        _chain(before(_buffer_body), before(_reject_files), rewrite(_files_to_400)),
    ),
    Fault(
        '2xx success "true" as a string', "response.success-envelope", rewrite(_success_string_2xx)
    ),
    Fault("postMessage answers 202", "status.documented", rewrite(_accepted_202)),
    Fault("invalid limits answered 404", "robustness.invalid-input", rewrite(_bad_limit_404)),
    Fault(
        "manifest version v1",
        "manifest.schema",
        manifest_edit=lambda m: m.__setitem__("version", "v1"),
    ),
    Fault(
        "manifest without postMessage",
        "manifest.required-endpoints",
        manifest_edit=_drop("postMessage"),
    ),
    Fault(
        "manifest URL with a misnamed variable",
        "manifest.url-variables",
        manifest_edit=lambda m: m["endpoints"].__setitem__(
            "getSenderById", m["endpoints"]["getSenderById"].replace(":senderId", ":sender")
        ),
    ),
    Fault(
        "manifest with plain http to a public host",
        "manifest.https",
        manifest_edit=_http_delete,
        profile_edit=_no_disposable,
        options={"only": ["manifest.*"]},  # no write, and no request goes to that host
    ),
    Fault(
        "manifest with an unknown key",
        "manifest.unknown-endpoint",
        manifest_edit=lambda m: m["endpoints"].__setitem__(
            "getConversation", m["endpoints"]["getConversations"]
        ),
    ),
    Fault(
        "avatars flagged but no getSenderById",
        "manifest.capability-endpoints",
        manifest_edit=_drop("getSenderById"),
    ),
]


# -- one mutant per clause of the multi-clause rules (issue 13) ----------------------------
def _no_participants(env, body):
    for conversation in conversations_of(body):
        if conversation["id"] == "conv-005":
            del conversation["participants"]


def _truncate_messages(environ, status, headers, body):
    """Cuts a conversation's messages to messages_limit and drops the cursor: messages lost."""
    for conversation in conversations_of(body):
        conversation["next_messages_cursor"] = ""
    return status, headers, body


def _empty_pages_forever(environ, status, headers, body):
    """At the end of the list, empty pages that still carry a cursor, forever."""
    if not is_list(environ):
        return status, headers, body
    past_end = re.search(r"after=empty-(\d+)", environ.get("QUERY_STRING", ""))
    if past_end:  # not a cursor the reference knows: answer the endless empty page instead
        after = f"empty-{int(past_end.group(1)) + 1}"
        return 200, headers, {"success": True, "data": [], "additional_data": {"after": after}}
    if status == 200 and not body["additional_data"]["after"]:
        body["additional_data"]["after"] = "empty-1"
    return status, headers, body


def _repeat_conversation(environ, status, headers, body):
    """Pages of the default walk list their first conversation twice (in place of the second)."""
    if is_list(environ) and status == 200 and len(body["data"]) > 1:
        body["data"][1] = body["data"][0]
    return status, headers, body


def _small_pages_skip_one(environ, status, headers, body):
    """Small pages lose a conversation: a walk at a small limit misses one."""
    query = environ.get("QUERY_STRING", "")
    if is_list(environ) and status == 200 and "conversations_limit=7" in query:
        body["data"] = [c for c in body["data"] if c["id"] != "conv-010"]
    return status, headers, body


def _default_pages_skip_one(environ, status, headers, body):
    """The default-limit walk loses a conversation that small pages show."""
    query = environ.get("QUERY_STRING", "")
    if is_list(environ) and status == 200 and "conversations_limit" not in query:
        body["data"] = [c for c in body["data"] if c["id"] != "conv-010"]
    return status, headers, body


def _unknown_channel_post_accepted(environ, status, headers, body):
    if (
        status == 404
        and environ["REQUEST_METHOD"] == "POST"
        and "/conformance-unknown-" in path(environ)
    ):
        return 200, headers, {"success": True, "data": {"id": "posted-anywhere"}}
    return status, headers, body


def _unknown_channel_delete_ok(environ, status, headers, body):
    if status == 404 and environ["REQUEST_METHOD"] == "DELETE":
        return 200, headers, {"success": True}
    return status, headers, body


def _pad_templates(environ, status, headers, body):
    if path(environ).endswith("/templates") and status == 200:
        body["data"]["padding"] = "x" * 300_000
    return status, headers, body


def _trace_in_not_found(environ, status, headers, body):
    """A debug build: the 404's message is the exception, with the server path and the
    request's own Authorization header (which the report must still scrub)."""
    if status == 404 and isinstance(body, dict):
        body["data"]["message"] = (
            "KeyError at /srv/reference/app/lookup.py:88 while handling "
            f"Authorization: {environ.get('HTTP_AUTHORIZATION', '')}"
        )
    return status, headers, body


class DiesOn:
    """A provider whose process dies on one request (as a Node provider does on an unhandled
    exception): that request's connection breaks without an answer, the port refuses every
    new connection at once, and a request on a connection it had open is cut a moment later
    (the process going down), so the killer is always the first connection to break."""

    def __init__(self, predicate: Callable[[dict], bool]) -> None:
        self.predicate = predicate
        self.server: ReferenceServer | None = None
        self.dead = False

    def attach(self, server: ReferenceServer) -> None:
        self.server = server
        self.dead = False  # a new server is a new process: the same mutant may run again

    def __call__(self, app: Wsgi) -> Wsgi:
        import socket
        import threading

        def cut(environ: dict) -> list[bytes]:
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            return []

        def middleware(environ: dict, start_response: Callable) -> Iterable[bytes]:
            if self.dead:  # a kept-alive connection of the dying process
                time.sleep(0.2)
                return cut(environ)
            if self.predicate(environ) and self.server is not None:
                # Dead before any connection breaks: whoever sees the killer's connection
                # break (a test replaying it with curl) may look at `dead` at once.
                self.dead = True
                self.server._server.socket.shutdown(socket.SHUT_RDWR)  # no new connection
                cut(environ)  # the killer's connection breaks first, without an answer
                threading.Thread(target=self.server.stop, daemon=True).start()
                return []
            return app(environ, start_response)

        return middleware


def _group_post(environ: dict) -> bool:
    import io

    if environ["REQUEST_METHOD"] != "POST":
        return False
    data = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    environ["wsgi.input"] = io.BytesIO(data)
    return b"group message" in data


def _template_support(profile: dict) -> None:
    profile["template_support"] = True


FAULTS += [
    Fault(
        "conversation without participants",
        "participants.exactly-two",
        _only(lambda e, s, b: s == 200, _no_participants),
        clause="a missing participants list counts as zero",
        also=frozenset({"response.schema"}),
    ),
    Fault(
        "messages cut to the limit without a cursor",
        "pagination.messages-cursor",
        rewrite(_truncate_messages),
        clause="a full page without a cursor while a larger limit returns more",
    ),
    Fault(
        "empty pages with a cursor forever",
        "pagination.cursor-walk",
        rewrite(_empty_pages_forever),
        clause="empty pages that keep a cursor never end",
    ),
    Fault(
        "later pages repeat a conversation",
        "pagination.cursor-walk",
        rewrite(_repeat_conversation),
        clause="never repeats a conversation",
    ),
    Fault(
        "small pages miss a conversation",
        "pagination.cursor-walk",
        rewrite(_small_pages_skip_one),
        clause="a small-limit walk covers what the default walk saw",
    ),
    Fault(
        "default pages miss a conversation",
        "pagination.cursor-walk",
        rewrite(_default_pages_skip_one),
        clause="the default walk covers what small-limit walks saw",
    ),
    Fault(
        "template_support without getTemplates",
        "manifest.capability-endpoints",
        manifest_edit=_drop("getTemplates"),
        profile_edit=_template_support,
        clause="template_support: true needs getTemplates",
    ),
    Fault(
        "expiring links but no getMessageById",
        "manifest.capability-endpoints",
        manifest_edit=_drop("getMessageById"),
        clause="link_expires needs getMessageById",
    ),
    Fault(
        "post to an unknown channel accepted",
        "notfound.channel",
        rewrite(_unknown_channel_post_accepted),
        clause="postMessage on an unknown channel",
    ),
    Fault(
        "delete of an unknown channel answers 200",
        "notfound.channel",
        rewrite(_unknown_channel_delete_ok),
        clause="deleteChannelById on an unknown channel",
    ),
    Fault(
        "dies on a group post",
        "robustness.provider-alive",
        DiesOn(_group_post),
        clause="the provider keeps accepting connections",
    ),
    Fault(
        "stack trace in 404 bodies",
        "security.error-disclosure",
        rewrite(_trace_in_not_found),
        clause="no stack trace or server path in an error body",
    ),
    Fault(
        "oversized getTemplates",
        "robustness.response-size",
        rewrite(_pad_templates),
        options={"body_cap": 100_000},
        clause="every body within the cap",
    ),
]


# -- further clauses ----------------------------------------------------------------------
def _shifted_message_cursor(step: int) -> Callable[[Wsgi], Wsgi]:
    """The messages cursor names the message `step` places from the page's last one (never
    behind where the page began, never past the oldest): -1 makes pages overlap by one, +1
    loses one older message at every page turn."""

    def wrap(app: Wsgi) -> Wsgi:
        from conformance.reference.state import decode_cursor, encode_cursor

        state = _state(app)
        render = state.render

        def shifted(conversation: dict, messages_limit: int, after: str | None = None) -> dict:
            out = render(conversation, messages_limit, after)
            if out["next_messages_cursor"]:
                key = conversation["id"]
                ids = [m["id"] for m in conversation["messages"]]
                last = ids.index(decode_cursor("m", key, out["next_messages_cursor"]))
                start = ids.index(decode_cursor("m", key, after)) + 1 if after else 0
                if start <= last + step < len(ids):
                    out["next_messages_cursor"] = encode_cursor("m", key, ids[last + step])
            return out

        state.render = shifted
        return app

    return wrap


def _retry_by_past(environ, status, headers, body):
    if status == 429:
        body["data"]["retry_by"] = "2020-01-01T00:00:00.000Z"
    return status, headers, body


def _bad_request_code(environ, status, headers, body):
    if status == 400 and environ["REQUEST_METHOD"] == "GET":
        body["data"]["code"] = "BAD_REQUEST"  # the published yaml's example, not the seed's
    return status, headers, body


def _accept_wrong_id(environ: dict) -> None:
    """Checks only the secret: a wrong client id with the right secret gets in."""
    try:
        decoded = base64.b64decode(environ.get("HTTP_AUTHORIZATION", "")[6:]).decode()
    except ValueError:
        return
    if decoded.endswith(":reference-secret"):
        _ignore_auth(environ)


def _delete_not_successful(environ, status, headers, body):
    if environ["REQUEST_METHOD"] == "DELETE" and status == 200:
        return 200, headers, {"success": False}
    return status, headers, body


FAULTS += [
    Fault(
        "message pages overlap",
        "pagination.messages-cursor",
        _shifted_message_cursor(-1),
        clause="never repeats a message across pages",
    ),
    Fault(
        "retry_by in the past",
        "error.retry-by",
        rewrite(_retry_by_past),
        clause="retry_by is not in the past",
    ),
    Fault(
        "400 code BAD_REQUEST",
        "error.code-matches-status",
        rewrite(_bad_request_code),
        clause="the code for 400 is INVALID_BODY",
    ),
    Fault(
        "wrong client id accepted",
        "auth.wrong-credentials",
        before(_accept_wrong_id),
        clause="a wrong client id gets 401",
    ),
    Fault(
        "delete answers success false",
        "delete.channel",
        rewrite(_delete_not_successful),
        clause='the delete answers {"success": true}',
    ),
]


def _groups_of_known_people_accepted(environ, status, headers, body):
    """Refuses a group only when a recipient is unknown: a group of real participants gets
    through. A group probe with a made-up id would see a 400 and call the rule kept."""
    if not (path(environ).endswith("/messages") and status == 400):
        return status, headers, body
    if "one recipient" not in str(body["data"]["message"]):
        return status, headers, body
    form = environ.get("conformance.body", b"").decode(errors="replace")
    recipients = re.search(r'name="recipientIds"\r\n\r\n([^\r]*)', form)
    names = recipients.group(1).split(",") if recipients else []
    if names and all(n.startswith(("agent-", "contact-")) for n in names):
        return 200, headers, {"success": True, "data": {"id": "group-of-real-people"}}
    return status, headers, body


FAULTS += [
    Fault(
        "groups of real participants accepted",
        "participants.group-post-rejected",
        _chain(before(_buffer_body), rewrite(_groups_of_known_people_accepted)),
        clause="a group of two real participants is refused (not only unknown ids)",
    ),
]


# -- what only real providers showed (issue 21) ---------------------------------------------
def _is_get(environ: dict, fragment: str) -> bool:
    return fragment in path(environ) and environ["REQUEST_METHOD"] == "GET"


def _by_id_invents_texts(environ, status, headers, body):
    """getConversationById renders each message's text again (the playground's habit)."""
    if is_by_id(environ) and status == 200:
        for message in body["data"]["messages"]:
            message["message"] = f"{message['message']} (rendered again)"
    return status, headers, body


def _by_id_swaps_roles(environ, status, headers, body):
    """getConversationById shows the agent as the end_user and the contact as the source."""
    if is_by_id(environ) and status == 200:
        for participant in body["data"]["participants"]:
            role = participant["role"]
            participant["role"] = "end_user" if role == "source_user" else "source_user"
    return status, headers, body


def _message_from_outsider(environ, status, headers, body):
    """getMessageById names a sender who is no participant of the conversation."""
    if _is_get(environ, "/messages/") and status == 200:
        body["sender_id"] = "someone-else"
    return status, headers, body


def _message_other_text(environ, status, headers, body):
    if _is_get(environ, "/messages/") and status == 200:
        body["message"] = "a text the conversation never showed"
    return status, headers, body


def _without_avatar_flags(body: Any) -> None:
    """Participants that carry no fetch_avatar/avatar_expires (both are optional)."""
    for conversation in conversations_of(body):
        for participant in conversation["participants"]:
            participant.pop("fetch_avatar", None)
            participant.pop("avatar_expires", None)


def _sender_without_avatar_url(environ, status, headers, body):
    """The bridge: no avatar flags anywhere, and getSenderById leaves out avatar_url."""
    _without_avatar_flags(body)
    if _is_get(environ, "/senders/") and status == 200:
        body["data"].pop("avatar_url", None)
    return status, headers, body


def _sender_other_id_unflagged(environ, status, headers, body):
    _without_avatar_flags(body)
    return _sender_other_id(environ, status, headers, body)


FAULTS += [
    Fault(
        "by-id view invents message texts",
        "consistency.conversation-by-id",
        rewrite(_by_id_invents_texts),
        clause="messages in both views: the same sender_id, text and created_at",
    ),
    Fault(
        "by-id view swaps participant roles",
        "consistency.conversation-by-id",
        rewrite(_by_id_swaps_roles),
        clause="both views: the same participants (ids, roles)",
    ),
    Fault(
        "message by id from a sender outside the conversation",
        "consistency.message-by-id",
        rewrite(_message_from_outsider),
        clause="sender_id is a participant of its conversation",
    ),
    Fault(
        "message by id with another text",
        "consistency.message-by-id",
        rewrite(_message_other_text),
        clause="the same text as the conversation shows",
    ),
    Fault(
        "no avatar flags, getSenderById without avatar_url",
        "response.schema",
        rewrite(_sender_without_avatar_url),
        clause="getSenderById is read without avatar flags (judged by its schema)",
    ),
    Fault(
        "no avatar flags, sender by id returns another",
        "consistency.sender-by-id",
        rewrite(_sender_other_id_unflagged),
        clause="without avatar flags, a known participant is still read",
    ),
    Fault(
        "manifest with an unknown top-level key",
        "manifest.unknown-endpoint",
        manifest_edit=lambda m: m.__setitem__("provider_type", "whatsapp"),
        clause="no top-level keys beyond version and endpoints",
    ),
]


# -- cursors under a message that arrives mid-walk (issue 21 item 4): state edits ---------
def _state(app: Any) -> Any:
    return app.extensions["reference_state"]


def _offset_render(state: Any) -> Callable[..., dict]:
    """The reference's render with the cursor an offset into the newest-first messages."""
    from conformance.reference.state import InvalidCursor, decode_cursor, encode_cursor

    def render(conversation: dict, messages_limit: int, after: str | None = None) -> dict:
        with state.lock:
            scope, messages = conversation["id"], conversation["messages"]
            key = decode_cursor("m", scope, after) if after else "0"
            if not key.isdigit():
                raise InvalidCursor(after)
            start = int(key)
            out = {k: v for k, v in conversation.items() if k != "messages"}
            out["messages"] = copy.deepcopy(messages[start : start + messages_limit])
            out["participants"] = copy.deepcopy(conversation["participants"])
            more = start + messages_limit < len(messages)
            out["next_messages_cursor"] = (
                encode_cursor("m", scope, str(start + messages_limit)) if more else ""
            )
            return out

    return render


def _offset_message_cursors(app: Wsgi) -> Wsgi:
    """Messages cursors are offsets: each message that arrives on top shifts the next page."""
    state = _state(app)
    state.render = _offset_render(state)
    return app


def _activity_sorted_offsets(ascending: bool) -> Callable[[Wsgi], Wsgi]:
    """The list sorted by recent activity (a post moves its conversation to the top, or to
    the end), paged by offsets: a walk under a new message repeats or skips conversations."""
    from conformance.reference.state import InvalidCursor, decode_cursor, encode_cursor

    def wrap(app: Wsgi) -> Wsgi:
        state = _state(app)
        add_message = state.add_message

        def moved(conversation: dict, *args: Any) -> str:
            with state.lock:
                for channel in state.channels.values():
                    items = channel["conversations"]
                    if conversation in items:
                        items.remove(conversation)
                        items.insert(len(items) if ascending else 0, conversation)
            return add_message(conversation, *args)

        def page(channel_id: str, limit: int, messages_limit: int, after: str | None):
            with state.lock:
                items = state.channels[channel_id]["conversations"]
                key = decode_cursor("c", channel_id, after) if after else "0"
                if not key.isdigit():
                    raise InvalidCursor(after)
                start = int(key)
                more = start + limit < len(items)
                cursor = encode_cursor("c", channel_id, str(start + limit)) if more else ""
                rendered = [state.render(c, messages_limit) for c in items[start : start + limit]]
                return rendered, cursor

        state.add_message, state.page_conversations = moved, page
        return app

    return wrap


FAULTS += [
    Fault(
        "messages cursor skips one at each page",
        "pagination.messages-cursor",
        _shifted_message_cursor(+1),
        clause="a walk around a post skips no older message (compared with full reads)",
    ),
    Fault(
        "message cursors are offsets",
        "pagination.messages-cursor",
        _offset_message_cursors,
        clause="a message posted between two pages: the next page repeats none",
    ),
    Fault(
        "list by newest activity, offset cursors",
        "pagination.cursor-walk",
        _activity_sorted_offsets(ascending=False),
        clause="a post mid-walk moves a conversation to the top: none repeats",
    ),
    Fault(
        "list by oldest activity, offset cursors",
        "pagination.cursor-walk",
        _activity_sorted_offsets(ascending=True),
        clause="a post mid-walk moves a conversation to the end: none that stayed is skipped",
    ),
]


# The clause each earlier mutant breaks (kept beside the list rather than in every call).
_CLAUSES = {
    "404 code MISSING": "the code for 404 is NOT_FOUND",
    "three participants": "more than two participants",
    "retry_by with a space and no zone": "retry_by is an RFC 3339 UTC timestamp",
    "retry_by missing": "a 429 has data.retry_by",
    "auth ignored": "no Authorization gets 401 UNAUTHORIZED",
    "HTML 401 page": "an error body is JSON",
    "missing data.message": "data.message is a string",
    'success "false" as a string': "success is false",
    "local-time created_at": "date-times are UTC",
    "enum value outside the spec": "enums hold",
    "postMessage returns no id": "200 with a non-empty data.id",
    "posts with files rejected": "a post with a file is accepted",
    "avatars flagged but no getSenderById": "avatar flags need getSenderById",
    "unknown channel is an empty list": "getConversations on an unknown channel",
    "messages cursor repeats": "a messages cursor that repeats never ends",
    "wrong secret accepted": "a wrong secret gets 401",
    "delete does nothing": "the channel is 404 after the delete",
    "cursor that loops": "a cursor that repeats never ends",
}
# Other MUST rules the same defect breaks, named on purpose (see Fault.also).
_NOT_FOUND = {"notfound.channel", "notfound.conversation", "notfound.sender", "notfound.message"}
_ALSO = {
    # every "must be 404 NOT_FOUND" judgement meets the wrong code
    "404 code MISSING": {*_NOT_FOUND, "delete.channel"},
    # three participants cannot be one source_user and one end_user
    "three participants": {"participants.roles"},
    # a provider that ignores the header accepts wrong credentials too
    "auth ignored": {"auth.wrong-credentials"},
    # the spec requires data.id
    "postMessage returns no id": {"response.schema"},
    # every 401 loses its code (no code is not the code 401 needs) and its JSON content type
    "HTML 401 page": {
        "error.code-matches-status",
        "auth.required",
        "auth.wrong-credentials",
        "auth.account-suspended",
        "response.content-type",
    },
    # the deleted channel then answers an empty list too
    "unknown channel is an empty list": {"delete.channel"},
    # an endpoint that cannot be bound is a missing one
    "manifest URL with a misnamed variable": {"manifest.capability-endpoints"},
    # a 200 that says success false is a broken success envelope too
    "delete answers success false": {"response.success-envelope"},
    # getMessageById of a ghost's message answers a sender outside the conversation
    "unknown sender_id": {"consistency.message-by-id"},
}
FAULTS = [
    replace(
        f,
        clause=_CLAUSES.get(f.name, f.clause),
        also=frozenset(_ALSO.get(f.name, f.also)),
    )
    for f in FAULTS
]
