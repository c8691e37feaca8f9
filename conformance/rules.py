"""The rule catalogue: the suite's public interface.

Rule ids are what reports, baselines, CI filters and vendors' bug trackers refer to, so
they never change; new behaviour gets a new id. Levels decide the verdict: a failed MUST
fails certification, a failed SHOULD is a warning (a failure only under --strict).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    MUST = "MUST"
    SHOULD = "SHOULD"


@dataclass(frozen=True)
class Rule:
    id: str
    level: Level
    title: str
    rationale: str
    source: str

    @property
    def group(self) -> str:
        """The part before the dot: manifest, auth, error, ... (JUnit classname, filters)."""
        return self.id.split(".", 1)[0]


M, S = Level.MUST, Level.SHOULD

CATALOGUE: tuple[Rule, ...] = (
    Rule(
        "manifest.schema",
        M,
        'manifest is a JSON object with version "v202101" and an endpoints object of URLs',
        "Pipedrive rejects a manifest it cannot read.",
        "docs manifest template",
    ),
    Rule(
        "manifest.required-endpoints",
        M,
        "getConversations, getConversationById and postMessage are present",
        "The inbox cannot list, open or answer conversations without them.",
        "docs",
    ),
    Rule(
        "manifest.url-variables",
        M,
        "every URL is absolute and holds exactly the variables its endpoint needs",
        "Pipedrive substitutes the variables; a missing one loses an id.",
        "yaml description table",
    ),
    Rule(
        "manifest.https",
        S,
        "URLs use https (plain http only for loopback hosts)",
        "Credentials travel in every request.",
        "docs examples",
    ),
    Rule(
        "manifest.unknown-endpoint",
        S,
        "no keys beyond the seven known endpoints",
        "An unknown key is usually a misspelt endpoint that Pipedrive will never call.",
        "docs",
    ),
    Rule(
        "manifest.capability-endpoints",
        M,
        "getSenderById, getTemplates and getMessageById are present when the data needs them",
        "Avatar flags, templates and expiring links make Pipedrive call those endpoints.",
        "docs, yaml",
    ),
    Rule(
        "auth.required",
        M,
        "a request with no Authorization gets 401 UNAUTHORIZED",
        "Every Pipedrive request carries Basic auth; anything else is not Pipedrive.",
        "docs: Basic auth on every request",
    ),
    Rule(
        "auth.wrong-credentials",
        M,
        "wrong client id or secret gets 401 UNAUTHORIZED",
        "Conversations are private to the account that owns them.",
        "docs, seed",
    ),
    Rule(
        "auth.valid-accepted",
        M,
        "valid credentials never get 401 (except the suspended fixture)",
        "A 401 makes Pipedrive treat the integration as disconnected.",
        "docs",
    ),
    Rule(
        "auth.account-suspended",
        M,
        "the suspended-account fixture gets 401 with code ACCOUNT_SUSPENDED",
        "Pipedrive tells the user why the channel stopped working.",
        "seed",
    ),
    Rule(
        "error.envelope",
        M,
        'every 4xx body is JSON {"success": false, "data": {"message": str, "code": str}}',
        "Pipedrive reads data.code and shows data.message.",
        "seed",
    ),
    Rule(
        "error.code-matches-status",
        M,
        "400 INVALID_BODY, 401 UNAUTHORIZED/ACCOUNT_SUSPENDED, 403 FORBIDDEN, "
        "404 NOT_FOUND, 429 RATE_LIMIT_EXCEEDED",
        "Pipedrive acts on the code; an unknown code is an unknown failure.",
        "seed",
    ),
    Rule(
        "error.retry-by",
        M,
        "a 429 body has data.retry_by: an RFC 3339 UTC timestamp (Z), not in the past",
        "Pipedrive schedules its retry from retry_by.",
        "seed",
    ),
    Rule(
        "error.retry-by-horizon",
        S,
        "retry_by is within 24 h",
        "A retry a day away stalls the inbox.",
        "judgement",
    ),
    Rule(
        "error.forbidden",
        M,
        "the forbidden fixture (another account's channel) gets 403 FORBIDDEN",
        "A resource of another account must not be served or confused with a missing one.",
        "seed",
    ),
    Rule(
        "status.documented",
        M,
        "the status is one the spec documents for the operation (200, 400, 401, 403, 404, 429)",
        "Pipedrive handles documented statuses only.",
        "yaml, seed",
    ),
    Rule(
        "status.no-server-error",
        M,
        "no 5xx for any request, valid or generated-invalid",
        "A 5xx tells the caller nothing it can act on.",
        "common sense",
    ),
    Rule(
        "response.content-type",
        M,
        "JSON bodies come with application/json",
        "Clients parse by content type.",
        "yaml",
    ),
    Rule(
        "response.success-envelope",
        M,
        '2xx bodies are {"success": true, "data": ...} (getMessageById: the bare message)',
        "Pipedrive reads data from the envelope.",
        "yaml, docs",
    ),
    Rule(
        "response.schema",
        M,
        "2xx bodies match the operation's response schema (fields, types, enums, UTC times)",
        "A missing or mistyped field breaks the inbox.",
        "yaml",
    ),
    Rule(
        "response.null-cursor",
        S,
        "next_messages_cursor and additional_data.after are strings, empty at the end, not null",
        "The spec says to leave the cursor empty, not null.",
        'yaml ("leave empty")',
    ),
    Rule(
        "notfound.channel",
        M,
        "an unknown providerChannelId gets 404 NOT_FOUND on every endpoint",
        "A wrong channel id must be told apart from an empty channel.",
        "seed",
    ),
    Rule(
        "notfound.conversation",
        M,
        "an unknown sourceConversationId gets 404 NOT_FOUND",
        "A wrong conversation id must not look like an empty conversation.",
        "seed",
    ),
    Rule(
        "notfound.sender",
        M,
        "an unknown senderId gets 404 NOT_FOUND",
        "A wrong sender id must not return someone else.",
        "seed",
    ),
    Rule(
        "notfound.message",
        M,
        "an unknown sourceMessageId gets 404 NOT_FOUND",
        "A wrong message id must not return another message.",
        "seed",
    ),
    Rule(
        "participants.exactly-two",
        M,
        "every conversation has exactly 2 participants",
        "Only one-to-one conversations work in the inbox.",
        "seed",
    ),
    Rule(
        "participants.roles",
        M,
        "one source_user and one end_user",
        "The inbox tells the user's side from the contact's by role.",
        "seed, yaml",
    ),
    Rule(
        "participants.unique-ids",
        M,
        "participant ids differ",
        "Messages are attributed to participants by id.",
        "seed",
    ),
    Rule(
        "participants.sender-known",
        M,
        "every message's sender_id is a participant id of its conversation",
        "A message from nobody in the conversation cannot be shown.",
        "yaml",
    ),
    Rule(
        "participants.group-post-rejected",
        S,
        "postMessage with 2+ recipientIds gets 400 INVALID_BODY",
        "Group messages are not supported; accepting one hides the failure.",
        "seed (2-participant limit)",
    ),
    Rule(
        "pagination.conversations-limit",
        M,
        "len(data) <= conversations_limit",
        "Pipedrive sizes its pages; more than asked for is wasted or dropped.",
        "docs",
    ),
    Rule(
        "pagination.messages-limit",
        M,
        "messages per conversation <= messages_limit",
        "Pipedrive sizes its pages; more than asked for is wasted or dropped.",
        "docs",
    ),
    Rule(
        "pagination.cursor-walk",
        M,
        "following additional_data.after ends, never repeats a conversation and covers them all",
        "A cursor that loops hangs the import; one that skips loses conversations.",
        "docs",
    ),
    Rule(
        "pagination.messages-cursor",
        M,
        "getConversationById with after=next_messages_cursor returns new messages, and ends",
        "Older messages are fetched by this cursor.",
        "docs",
    ),
    Rule(
        "consistency.conversation-by-id",
        M,
        "each listed conversation is found by getConversationById with the same id",
        "The inbox opens conversations it listed.",
        "docs",
    ),
    Rule(
        "consistency.sender-by-id",
        M,
        "getSenderById(id) returns that id for every participant with avatar flags",
        "Avatars are fetched by participant id.",
        "docs",
    ),
    Rule(
        "consistency.message-by-id",
        M,
        "getMessageById(id) returns that message",
        "Expiring attachment links are refreshed by message id.",
        "docs",
    ),
    Rule(
        "post.accepts-multipart",
        M,
        "a valid multipart postMessage (with and without a file) gets 200 with a non-empty data.id",
        "This is how the user's replies reach the contact.",
        "docs",
    ),
    Rule(
        "post.invalid-body",
        M,
        "postMessage missing message+files or conversationId gets 400 INVALID_BODY",
        "An empty or unaddressed message must be refused, not sent.",
        "seed",
    ),
    Rule(
        "delete.channel",
        M,
        'deleteChannelById on the disposable channel gets {"success": true}, then 404',
        "Pipedrive deletes channels when the user disconnects them.",
        "docs",
    ),
    Rule(
        "robustness.timeout",
        M,
        "every response arrives within the timeout (default 10 s)",
        "Pipedrive gives up on slow providers.",
        "common sense",
    ),
    Rule(
        "robustness.invalid-input",
        S,
        "invalid query values get 400 INVALID_BODY or are ignored with a valid 200; never 5xx",
        "Bad input should be refused clearly.",
        "seed",
    ),
    Rule(
        "robustness.provider-alive",
        M,
        "the provider keeps accepting connections for the whole run",
        "A provider that one request can bring down drops every conversation of every user.",
        "common sense",
    ),
    Rule(
        "robustness.response-size",
        M,
        "every response body is at most the body cap (default 10 MiB, --body-cap)",
        "Pipedrive will not read an unbounded answer; an endless body is a broken endpoint.",
        "common sense",
    ),
)

RULES: dict[str, Rule] = {rule.id: rule for rule in CATALOGUE}


def rule(rule_id: str) -> Rule:
    """Look a rule up; an unknown id is a programming error in the suite."""
    return RULES[rule_id]


def select(patterns: list[str] | None) -> list[Rule]:
    """Rules matching any of the glob patterns (e.g. `error.*`); all when none given."""
    if not patterns:
        return list(CATALOGUE)
    return [r for r in CATALOGUE if any(fnmatch.fnmatchcase(r.id, p) for p in patterns)]
