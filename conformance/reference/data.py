"""The reference provider's seeded data: the same channels, conversations and ids every start.

Sized so every rule can be exercised: more conversations than the default page of 30, one
conversation with more messages than a page, avatar flags, an expiring attachment link,
templates, and the fixture channels (disposable, suspended, another account's).

Stage: reference.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

MAIN_CHANNEL = "ref-main"
DISPOSABLE_CHANNEL = "ref-disposable"
SUSPENDED_CHANNEL = "ref-suspended"
FORBIDDEN_CHANNEL = "ref-forbidden"
AGENT_ID = "agent-1"
SANDBOX = {"conversation": "conv-003", "sender": AGENT_ID, "recipient": "contact-003"}
LONG_CONVERSATION = "conv-001"
EXPIRING_CONVERSATION = "conv-002"
# Conversations in ref-main: one more than a page at the default limit (30), so the default
# walk follows a cursor. Every full run walks them at limits 1 and 7, looks each up by id and
# walks them again around a post, so each one costs about four requests a run.
CONVERSATIONS = 31

SEED = 20211126
EPOCH = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
FIRST_NAMES = ("Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivo", "Jun")
STATUSES = ("sent", "delivered", "read", "failed")


def utc(moment: datetime) -> str:
    """UTC with milliseconds and Z, the format the contract's examples use."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _participants(number: int, rng: random.Random) -> list[dict[str, Any]]:
    contact = f"contact-{number:03d}"
    return [
        {
            "id": AGENT_ID,
            "name": "Reference Agent",
            "role": "source_user",
            "avatar_url": "https://avatars.reference.example/agent-1.png",
            "fetch_avatar": False,
            "avatar_expires": False,
        },
        {
            "id": contact,
            "name": f"{rng.choice(FIRST_NAMES)} {number:03d}",
            "role": "end_user",
            "avatar_url": f"https://avatars.reference.example/{contact}.png",
            "fetch_avatar": number % 3 == 0,
            "avatar_expires": number % 5 == 0,
        },
    ]


def _message(
    conversation: int, index: int, sender: str, rng: random.Random, when: datetime
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "id": f"msg-{conversation:03d}-{index:03d}",
        "status": rng.choice(STATUSES),
        "created_at": utc(when),
        "message": f"Message {index} in conversation {conversation}",
        "sender_id": sender,
        "attachments": [],
    }
    if index % 11 == 0:
        message["reply_by"] = utc(when + timedelta(hours=24))
    if index % 7 == 0:
        name = f"photo-{conversation:03d}-{index:03d}.png"
        message["attachments"].append(
            {
                "id": f"att-{conversation:03d}-{index:03d}",
                "type": "image/png",
                "name": name,
                "size": 1024 + index,
                "url": f"https://files.reference.example/{name}",
                "preview_url": f"https://files.reference.example/preview/{name}",
                "link_expires": False,
            }
        )
    return message


def _conversation(number: int, messages: int, rng: random.Random) -> dict[str, Any]:
    participants = _participants(number, rng)
    start = EPOCH + timedelta(hours=number)
    items = []
    for index in range(1, messages + 1):
        sender = participants[index % 2]["id"]
        items.append(_message(number, index, sender, rng, start + timedelta(minutes=index)))
    if number == int(EXPIRING_CONVERSATION.split("-")[1]):
        items[-1]["attachments"].append(
            {
                "id": f"att-{number:03d}-expiring",
                "type": "application/pdf",
                "name": "invoice.pdf",
                "size": 20480,
                "url": "https://files.reference.example/expiring/invoice.pdf?sig=abc",
                "link_expires": True,
            }
        )
    items.reverse()  # newest first, as an inbox shows them
    return {
        "id": f"conv-{number:03d}",
        "link": f"https://chat.reference.example/c/{number:03d}",
        "status": "open" if number % 4 else "closed",
        "seen": number % 2 == 0,
        "participants": participants,
        "messages": items,
    }


def build_channels(conversations: int = CONVERSATIONS) -> dict[str, dict[str, Any]]:
    """Fresh, deterministic data: channel id -> {status, conversations, templates}."""
    rng = random.Random(SEED)
    main = [_conversation(n, 75 if n == 1 else 1 + n % 6, rng) for n in range(1, conversations + 1)]
    disposable = [_conversation(n, 2, rng) for n in (901, 902)]
    templates = [
        {"id": f"tpl-{i}", "name": name, "content": content, "language": lang}
        for i, (name, content, lang) in enumerate(
            (
                ("welcome", "Hello {{1}}, thanks for reaching out!", "en"),
                ("follow_up", "Hi {{1}}, any news on your order?", "en"),
                ("bienvenida", "Hola {{1}}, gracias por escribirnos.", "es"),
            ),
            start=1,
        )
    ]
    return {
        MAIN_CHANNEL: {"status": "active", "conversations": main, "templates": templates},
        DISPOSABLE_CHANNEL: {"status": "active", "conversations": disposable, "templates": []},
        SUSPENDED_CHANNEL: {"status": "suspended", "conversations": [], "templates": []},
        FORBIDDEN_CHANNEL: {"status": "forbidden", "conversations": [], "templates": []},
    }
