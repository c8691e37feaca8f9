"""The rule catalogue: the suite's public interface.

Rule ids are what reports, baselines, CI filters and vendors' bug trackers refer to, so
they never change; new behaviour gets a new id. Levels decide the verdict: a failed MUST
fails certification, a failed SHOULD is a warning (a failure only under --strict).

Stage: values.
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
    # One line on how to fix a failure, shown next to it in every report. Every rule has one
    # (tests/test_rules.py); the default only keeps positional construction working.
    hint: str = ""

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
        hint='Serve a JSON object with "version": "v202101" and an "endpoints" object of URL '
        "strings.",
    ),
    Rule(
        "manifest.required-endpoints",
        M,
        "getConversations, getConversationById and postMessage are present",
        "The inbox cannot list, open or answer conversations without them.",
        "docs",
        hint="Add getConversations, getConversationById and postMessage URLs to the manifest's "
        "endpoints.",
    ),
    Rule(
        "manifest.url-variables",
        M,
        "every URL is absolute and holds exactly the variables its endpoint needs",
        "Pipedrive substitutes the variables; a missing one loses an id.",
        "yaml description table",
        hint="Use absolute URLs with exactly the :variables each endpoint needs (see the message "
        "for which).",
    ),
    Rule(
        "manifest.https",
        S,
        "URLs use https (plain http only for loopback hosts)",
        "Credentials travel in every request.",
        "docs examples",
        hint="Serve every endpoint over https; keep plain http for localhost only.",
    ),
    Rule(
        "manifest.unknown-endpoint",
        S,
        "no keys beyond the seven known endpoints",
        "An unknown key is usually a misspelt endpoint that Pipedrive will never call.",
        "docs",
        hint="Remove the extra key or fix its spelling to one of the seven known endpoint names.",
    ),
    Rule(
        "manifest.capability-endpoints",
        M,
        "getSenderById, getTemplates and getMessageById are present when the data needs them",
        "Avatar flags, templates and expiring links make Pipedrive call those endpoints.",
        "docs, yaml",
        hint="Add the endpoint your data relies on (getSenderById, getTemplates or "
        "getMessageById) to the manifest.",
    ),
    Rule(
        "auth.required",
        M,
        "a request with no Authorization gets 401 UNAUTHORIZED",
        "Every Pipedrive request carries Basic auth; anything else is not Pipedrive.",
        "docs: Basic auth on every request",
        hint="Check the Basic Authorization header before routing; answer 401 UNAUTHORIZED when "
        "it is missing.",
    ),
    Rule(
        "auth.wrong-credentials",
        M,
        "wrong client id or secret gets 401 UNAUTHORIZED",
        "Conversations are private to the account that owns them.",
        "docs, seed",
        hint="Compare client id and secret with the stored ones (constant time); answer 401 "
        "UNAUTHORIZED on mismatch.",
    ),
    Rule(
        "auth.valid-accepted",
        M,
        "valid credentials never get 401 (except the suspended fixture)",
        "A 401 makes Pipedrive treat the integration as disconnected.",
        "docs",
        hint="Accept the Basic credentials Pipedrive sends (base64 of client_id:client_secret) on "
        "every endpoint.",
    ),
    Rule(
        "auth.account-suspended",
        M,
        "the suspended-account fixture gets 401 with code ACCOUNT_SUSPENDED",
        "Pipedrive tells the user why the channel stopped working.",
        "seed",
        hint='Answer a suspended account with 401 and data.code "ACCOUNT_SUSPENDED", not plain '
        "UNAUTHORIZED.",
    ),
    Rule(
        "error.envelope",
        M,
        'every 4xx body is JSON {"success": false, "data": {"message": str, "code": str}}',
        "Pipedrive reads data.code and shows data.message.",
        "seed",
        hint='Wrap every 4xx as {"success": false, "data": {"message": "...", "code": "..."}} '
        "with application/json.",
    ),
    Rule(
        "error.code-matches-status",
        M,
        "400 INVALID_BODY, 401 UNAUTHORIZED/ACCOUNT_SUSPENDED, 403 FORBIDDEN, "
        "404 NOT_FOUND, 429 RATE_LIMIT_EXCEEDED",
        "Pipedrive acts on the code; an unknown code is an unknown failure.",
        "seed",
        hint="Map each status to its code: 400 INVALID_BODY, 401 UNAUTHORIZED, 403 FORBIDDEN, 404 "
        "NOT_FOUND, 429 RATE_LIMIT_EXCEEDED.",
    ),
    Rule(
        "error.retry-by",
        M,
        "a 429 body has data.retry_by: an RFC 3339 UTC timestamp (Z), not in the past",
        "Pipedrive schedules its retry from retry_by.",
        "seed",
        hint="Put data.retry_by in every 429 body: a future UTC time such as "
        '"2026-01-01T00:00:00Z".',
    ),
    Rule(
        "error.retry-by-horizon",
        S,
        "retry_by is within 24 h",
        "A retry a day away stalls the inbox.",
        "judgement",
        hint="Set retry_by to when your limit window resets, at most 24 h ahead.",
    ),
    Rule(
        "error.forbidden",
        M,
        "the forbidden fixture (another account's channel) gets 403 FORBIDDEN",
        "A resource of another account must not be served or confused with a missing one.",
        "seed",
        hint="Answer another account's channel with 403 FORBIDDEN rather than its data or a 404.",
    ),
    Rule(
        "status.documented",
        M,
        "the status is one the spec documents for the operation (200, 400, 401, 403, 404, 429)",
        "Pipedrive handles documented statuses only.",
        "yaml, seed",
        hint="Answer only 200, 400, 401, 403, 404 or 429; map other outcomes to one of them.",
    ),
    Rule(
        "status.no-server-error",
        M,
        "no 5xx for any request, valid or generated-invalid",
        "A 5xx tells the caller nothing it can act on.",
        "common sense",
        hint="Validate input and handle missing data instead of crashing; replay the curl line to "
        "find the 5xx.",
    ),
    Rule(
        "response.content-type",
        M,
        "JSON bodies come with application/json",
        "Clients parse by content type.",
        "yaml",
        hint="Send Content-Type: application/json with every JSON body.",
    ),
    Rule(
        "response.success-envelope",
        M,
        '2xx bodies are {"success": true, "data": ...} (getMessageById: the bare message)',
        "Pipedrive reads data from the envelope.",
        "yaml, docs",
        hint='Wrap 2xx data as {"success": true, "data": ...} (getMessageById returns the bare '
        "message).",
    ),
    Rule(
        "response.schema",
        M,
        "2xx bodies match the operation's response schema (fields, types, enums, UTC times)",
        "A missing or mistyped field breaks the inbox.",
        "yaml",
        hint="Compare the body with the operation's schema in specs/; the message names the field "
        "and what was wrong.",
    ),
    Rule(
        "response.null-cursor",
        S,
        "next_messages_cursor and additional_data.after are strings, empty at the end, not null",
        "The spec says to leave the cursor empty, not null.",
        'yaml ("leave empty")',
        hint='Send an empty string "" for the last page\'s cursor, never null.',
    ),
    Rule(
        "notfound.channel",
        M,
        "an unknown providerChannelId gets 404 NOT_FOUND on every endpoint",
        "A wrong channel id must be told apart from an empty channel.",
        "seed",
        hint="Look the providerChannelId up first and answer 404 NOT_FOUND when it is unknown, on "
        "every endpoint.",
    ),
    Rule(
        "notfound.conversation",
        M,
        "an unknown sourceConversationId gets 404 NOT_FOUND",
        "A wrong conversation id must not look like an empty conversation.",
        "seed",
        hint="Answer an unknown sourceConversationId with 404 NOT_FOUND, not an empty "
        "conversation.",
    ),
    Rule(
        "notfound.sender",
        M,
        "an unknown senderId gets 404 NOT_FOUND",
        "A wrong sender id must not return someone else.",
        "seed",
        hint="Answer an unknown senderId with 404 NOT_FOUND, not a default or other sender.",
    ),
    Rule(
        "notfound.message",
        M,
        "an unknown sourceMessageId gets 404 NOT_FOUND",
        "A wrong message id must not return another message.",
        "seed",
        hint="Answer an unknown sourceMessageId with 404 NOT_FOUND, not another message.",
    ),
    Rule(
        "participants.exactly-two",
        M,
        "every conversation has exactly 2 participants",
        "Only one-to-one conversations work in the inbox.",
        "seed",
        hint="Return exactly two participants per conversation: your user and the contact.",
    ),
    Rule(
        "participants.roles",
        M,
        "one source_user and one end_user",
        "The inbox tells the user's side from the contact's by role.",
        "seed, yaml",
        hint="Give one participant role source_user (your user) and the other end_user (the "
        "contact).",
    ),
    Rule(
        "participants.unique-ids",
        M,
        "participant ids differ",
        "Messages are attributed to participants by id.",
        "seed",
        hint="Give the two participants different ids.",
    ),
    Rule(
        "participants.sender-known",
        M,
        "every message's sender_id is a participant id of its conversation",
        "A message from nobody in the conversation cannot be shown.",
        "yaml",
        hint="Set every message's sender_id to the id of one of its conversation's participants.",
    ),
    Rule(
        "participants.group-post-rejected",
        S,
        "postMessage with 2+ recipientIds gets 400 INVALID_BODY",
        "Group messages are not supported; accepting one hides the failure.",
        "seed (2-participant limit)",
        hint="Reject postMessage with more than one recipientId with 400 INVALID_BODY.",
    ),
    Rule(
        "pagination.conversations-limit",
        M,
        "len(data) <= conversations_limit",
        "Pipedrive sizes its pages; more than asked for is wasted or dropped.",
        "docs",
        hint="Return at most conversations_limit conversations per page; page the rest with "
        "additional_data.after.",
    ),
    Rule(
        "pagination.messages-limit",
        M,
        "messages per conversation <= messages_limit",
        "Pipedrive sizes its pages; more than asked for is wasted or dropped.",
        "docs",
        hint="Return at most messages_limit messages per conversation; page the rest with "
        "next_messages_cursor.",
    ),
    Rule(
        "pagination.cursor-walk",
        M,
        "following additional_data.after ends, never repeats a conversation and covers them all",
        "A cursor that loops hangs the import; one that skips loses conversations.",
        "docs",
        hint="Make additional_data.after point past the last returned conversation and end with "
        "an empty cursor.",
    ),
    Rule(
        "pagination.messages-cursor",
        M,
        "getConversationById with after=next_messages_cursor returns new messages, and ends",
        "Older messages are fetched by this cursor.",
        "docs",
        hint="Make next_messages_cursor return older messages only, and empty it at the oldest "
        "one.",
    ),
    Rule(
        "consistency.conversation-by-id",
        M,
        "each listed conversation is found by getConversationById with the same id",
        "The inbox opens conversations it listed.",
        "docs",
        hint="Serve getConversationById for every id that getConversations lists, with that same "
        "id.",
    ),
    Rule(
        "consistency.sender-by-id",
        M,
        "getSenderById(id) returns that id for every participant with avatar flags",
        "Avatars are fetched by participant id.",
        "docs",
        hint="Serve getSenderById for every participant id, returning that same id.",
    ),
    Rule(
        "consistency.message-by-id",
        M,
        "getMessageById(id) returns that message",
        "Expiring attachment links are refreshed by message id.",
        "docs",
        hint="Serve getMessageById for every listed message id, returning that same message.",
    ),
    Rule(
        "post.accepts-multipart",
        M,
        "a valid multipart postMessage (with and without a file) gets 200 with a non-empty data.id",
        "This is how the user's replies reach the contact.",
        "docs",
        hint="Parse multipart/form-data postMessage (with and without files) and answer 200 "
        '{"success": true, "data": {"id": ...}}.',
    ),
    Rule(
        "post.invalid-body",
        M,
        "postMessage missing message+files or conversationId gets 400 INVALID_BODY",
        "An empty or unaddressed message must be refused, not sent.",
        "seed",
        hint="Reject a post without message and files, or without conversationId, with 400 "
        "INVALID_BODY.",
    ),
    Rule(
        "delete.channel",
        M,
        'deleteChannelById on the disposable channel gets {"success": true}, then 404',
        "Pipedrive deletes channels when the user disconnects them.",
        "docs",
        hint='Delete the channel, answer {"success": true}, then answer 404 for it afterwards.',
    ),
    Rule(
        "robustness.timeout",
        M,
        "every response arrives within the timeout (default 10 s)",
        "Pipedrive gives up on slow providers.",
        "common sense",
        hint="Answer within the timeout: page large lists, and move slow work out of the request.",
    ),
    Rule(
        "robustness.invalid-input",
        S,
        "invalid query values get 400 INVALID_BODY or are ignored with a valid 200; never 5xx",
        "Bad input should be refused clearly.",
        "seed",
        hint="Validate query values; answer bad ones with 400 INVALID_BODY or ignore them, never "
        "5xx.",
    ),
    Rule(
        "robustness.provider-alive",
        M,
        "the provider keeps accepting connections for the whole run",
        "A provider that one request can bring down drops every conversation of every user.",
        "common sense",
        hint="The finding names the request that broke the connection (curl line, which sends "
        "it again): make the server survive it.",
    ),
    Rule(
        "robustness.response-size",
        M,
        "every response body is at most the body cap (default 10 MiB, --body-cap)",
        "Pipedrive will not read an unbounded answer; an endless body is a broken endpoint.",
        "common sense",
        hint="Bound every response: page lists and cap field sizes well under the body cap.",
    ),
    Rule(
        "security.error-disclosure",
        S,
        "no error body (any status) carries a stack trace, a server file path or an exception dump",
        "Error bodies reach Pipedrive and its users; internals in them map the server for an "
        "attacker.",
        "common sense (OWASP: improper error handling)",
        hint="Log stack traces on the server; answer errors with a short message and the "
        "contract's code.",
    ),
    # -- Channels API: the vendor's calls to Pipedrive (CHANNELS.md); judged only by runs that
    # include the simulator, listed as not applicable by one-direction runs.
    Rule(
        "channels.auth",
        M,
        "every call to the Channels API carries the bearer token the profile names",
        "Pipedrive refuses unauthenticated calls; the message is lost.",
        "Pipedrive API v1",
        hint="Send 'Authorization: Bearer <token>' (the app's OAuth token) on every Channels "
        "API call.",
    ),
    Rule(
        "channels.register-schema",
        M,
        "addChannel body: name, provider_channel_id strings; avatar_url a URL; "
        "template_support boolean; provider_type in {facebook, whatsapp, other}",
        "Pipedrive answers 400 to a registration it cannot read; the channel never appears.",
        "v1 spec",
        hint="Send name and provider_channel_id as strings, avatar_url as a URL, "
        "template_support as a boolean, provider_type facebook|whatsapp|other.",
    ),
    Rule(
        "channels.template-support",
        M,
        "template_support: true only when the manifest has getTemplates",
        "The inbox offers templates it then cannot load.",
        "docs",
        hint="Register with template_support: false, or add getTemplates to the manifest.",
    ),
    Rule(
        "channels.provider-id",
        M,
        "later calls name the channel by its registered provider_channel_id, never the data.id "
        "Pipedrive returned",
        "Pipedrive looks channels up by the provider's id; its own id finds nothing.",
        "seed",
        hint="Keep using your own provider_channel_id; store Pipedrive's data.id only for "
        "reference.",
    ),
    Rule(
        "channels.receive-schema",
        M,
        "receiveMessage body matches the schema: required fields, status enum, UTC timestamps, "
        "attachments with id, type, url",
        "A message Pipedrive cannot read is dropped, or shown at the wrong time.",
        "v1 spec",
        hint="Send every required field as a string, a documented status, UTC times (Z), "
        "attachments with id, type, url.",
    ),
    Rule(
        "channels.receive-known-channel",
        M,
        "receiveMessage channel_id is a registered channel",
        "A message for a channel Pipedrive does not know cannot reach any inbox.",
        "v1 spec",
        hint="Register the channel with addChannel before delivering its messages; stop after "
        "deleting it.",
    ),
    Rule(
        "channels.receive-participant",
        M,
        "the received conversation, read back through getConversationById, has exactly two "
        "participants and sender_id is one of them",
        "The inbox shows one-to-one conversations; an unknown sender has no name or avatar.",
        "seed",
        hint="Name the sender by a participant id of the two-person conversation "
        "getConversationById returns.",
    ),
    Rule(
        "channels.receive-retrievable",
        M,
        "a received message reads back (getConversationById; getMessageById when in the "
        "manifest) with the same sender and text",
        "Pipedrive re-reads conversations; a message it cannot read back vanishes or changes.",
        "docs",
        hint="Store the message before calling receiveMessage, so "
        "getConversationById/getMessageById serve it as sent.",
    ),
    Rule(
        "channels.status-forward",
        M,
        "per message id, status only moves sent -> delivered -> read; failed is final",
        "A status moving backwards shows users a read message as unread.",
        "v1 spec enum, judgement",
        hint="Report a message's statuses in order sent, delivered, read; send nothing after "
        "failed.",
    ),
    Rule(
        "channels.posted-status",
        S,
        "status changes of a message sent through postMessage come back through receiveMessage "
        "with the id postMessage returned",
        "Users see whether their reply was delivered and read.",
        "docs",
        hint="Report status changes of messages sent via postMessage with the id postMessage "
        "returned.",
    ),
    Rule(
        "channels.delete-known",
        M,
        "deleteChannel / deleteConversation name registered provider ids",
        "A delete of an unknown id means the vendor's bookkeeping and Pipedrive's disagree.",
        "v1 spec",
        hint="Delete only channels you registered and conversations Pipedrive knows, by your "
        "own ids.",
    ),
    Rule(
        "channels.backoff",
        S,
        "after a 429 from Pipedrive the vendor waits (Retry-After / rate-limit reset) before "
        "calling again",
        "An app that hammers a rate limit keeps every call failing.",
        "Pipedrive API rate limits",
        hint="After a 429, wait Retry-After (or X-RateLimit-Reset) seconds before the next "
        "call, in every thread.",
    ),
)

RULES: dict[str, Rule] = {rule.id: rule for rule in CATALOGUE}


def catalogue_version(rules: tuple[Rule, ...] = CATALOGUE) -> str:
    """A short digest of what the rules require (ids, levels, titles): two reports with the
    same version were judged by the same catalogue, whatever the suite's release."""
    import hashlib

    text = "\n".join(f"{r.id}|{r.level.value}|{r.title}" for r in rules)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def rule(rule_id: str) -> Rule:
    """Look a rule up; an unknown id is a programming error in the suite."""
    return RULES[rule_id]


def select(patterns: list[str] | None) -> list[Rule]:
    """Rules matching any of the glob patterns (e.g. `error.*`); all when none given."""
    if not patterns:
        return list(CATALOGUE)
    return [r for r in CATALOGUE if any(fnmatch.fnmatchcase(r.id, p) for p in patterns)]
