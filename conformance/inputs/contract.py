"""Plain facts of the contract (CONTRACT.md), shared as data by the suite's modules.

Only data lives here, no logic, so that modules which must not depend on the checks (the
reference provider) may still read the same enum values.

Stage: inputs.
"""

from __future__ import annotations

MANIFEST_VERSION = "v202101"

# operationId -> the path variables its manifest URL must hold, in the docs' order.
ENDPOINT_VARIABLES: dict[str, tuple[str, ...]] = {
    "getConversations": ("providerChannelId",),
    "getConversationById": ("providerChannelId", "sourceConversationId"),
    "postMessage": ("providerChannelId",),
    "getSenderById": ("providerChannelId", "senderId"),
    "getTemplates": ("providerChannelId",),
    "getMessageById": ("providerChannelId", "sourceConversationId", "sourceMessageId"),
    "deleteChannelById": ("providerChannelId",),
}
REQUIRED_ENDPOINTS: tuple[str, ...] = ("getConversations", "getConversationById", "postMessage")
OPTIONAL_ENDPOINTS: tuple[str, ...] = (
    "getSenderById",
    "getTemplates",
    "getMessageById",
    "deleteChannelById",
)
# Operations with side effects: only ever called on the profile's sandbox / disposable ids.
SIDE_EFFECT_OPERATIONS: frozenset[str] = frozenset({"postMessage", "deleteChannelById"})
# getMessageById answers with the bare message, not the success envelope.
BARE_BODY_OPERATIONS: frozenset[str] = frozenset({"getMessageById"})

# The seed page's error table: status -> the codes allowed with it.
ERROR_CODES: dict[int, frozenset[str]] = {
    400: frozenset({"INVALID_BODY"}),
    401: frozenset({"UNAUTHORIZED", "ACCOUNT_SUSPENDED"}),
    403: frozenset({"FORBIDDEN"}),
    404: frozenset({"NOT_FOUND"}),
    429: frozenset({"RATE_LIMIT_EXCEEDED"}),
}
DOCUMENTED_STATUSES: frozenset[int] = frozenset({200, 400, 401, 403, 404, 429})

CONVERSATION_STATUSES = ("open", "closed")
MESSAGE_STATUSES = ("sent", "delivered", "read", "failed")
PARTICIPANT_ROLES = ("end_user", "source_user")
SOURCE_USER, END_USER = "source_user", "end_user"
