"""`messaging-conformance init`: a commented profile to start from.

When the manifest and credentials are at hand (PIPEDRIVE_CLIENT_ID and
PIPEDRIVE_CLIENT_SECRET in the environment, and --channel), it asks the provider for a few
conversations and lists them as commented-out sandbox candidates; it never fills `sandbox:`
itself, because `run` posts test messages, files and group attempts there, i.e. to a real
person unless the vendor picked a test conversation. It never overwrites a file unless told
to (--force). Its first line is the yaml-language-server modeline naming the installed
profile schema, so an editor checks the profile while it is being filled in.

Stage: faces.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml

from conformance.errors import ConformanceError
from conformance.inputs.profile_schema import modeline
from conformance.options import TIMEOUT

TEMPLATE = """\
{modeline}
# messaging-conformance profile: which provider to certify, and where it may write.
# (The line above lets an editor with a YAML language server check and complete this file
# against the suite's profile schema; `messaging-conformance profile-schema` prints its path.)
# Values like ${{VAR}} are read from the environment when the suite runs.

# The manifest the provider registered in Pipedrive's Developer Hub: a file (relative to this
# profile) or an http(s) URL.
manifest: {manifest}

# The app's OAuth client credentials, sent as HTTP Basic auth on every request.
credentials:
  client_id: ${{PIPEDRIVE_CLIENT_ID}}
  client_secret: ${{PIPEDRIVE_CLIENT_SECRET}}

# A providerChannelId (your own channel id) that has conversations. Required.
channel: {channel}

# Where postMessage may write: a conversation of that channel kept for testing, who speaks
# in it (the source_user) and to whom (the end_user). Without it, post rules are SKIPPED.
# The sandbox RECEIVES TEST MESSAGES: 2 valid posts (one with a file) per run, plus invalid
# and group attempts, generated posts and 2 posts made in the middle of cursor walks. Name a
# conversation with a test contact only.
{sandbox}

# The only channel deleteChannelById may delete. Without it, delete.channel is SKIPPED.
# disposable_channel: my-test-channel-to-delete

# Channels set up to answer 401 ACCOUNT_SUSPENDED and 403 FORBIDDEN.
# fixtures: {{suspended_channel: ..., forbidden_channel: ...}}

# A burst to meet your rate limit (a 429 with retry_by is then judged).
rate_limit_probe: {{requests: 120, seconds: 1}}
"""


def discover(
    manifest: str, channel: str, client_id: str, secret: str, timeout: float = TIMEOUT
) -> list[dict[str, str]]:
    """Conversations of the channel with their source_user and end_user, as the provider says.

    Candidates only: the user decides which one, if any, may receive test messages.
    """
    from conformance.http.client import ProviderClient
    from conformance.http.fetch import load_manifest
    from conformance.http.policy import ClientPolicy
    from conformance.inputs.profile import Credentials, Secret

    loaded = load_manifest(manifest, timeout=timeout)
    client = ProviderClient(
        loaded, Credentials(client_id, Secret(secret)), ClientPolicy(timeout=timeout)
    )
    try:
        exchange = client.send(
            "getConversations",
            {"providerChannelId": channel},
            query={"conversations_limit": 5, "messages_limit": 1},
        )
    finally:
        client.close()
    if (
        exchange.response is None
        or exchange.response.status != 200
        or not exchange.response.is_json
    ):
        return []
    body: Any = exchange.response.json()
    found = []
    for conversation in body.get("data") or [] if isinstance(body, dict) else []:
        if not isinstance(conversation, dict):
            continue
        people = {
            p.get("role"): p.get("id")
            for p in conversation.get("participants") or []
            if isinstance(p, dict)
        }
        if conversation.get("id") and people.get("source_user") and people.get("end_user"):
            found.append(
                {
                    "conversation": str(conversation["id"]),
                    "sender": str(people["source_user"]),
                    "recipient": str(people["end_user"]),
                }
            )
    return found


def candidate_line(ids: dict[str, str]) -> str:
    """One sandbox candidate as a one-line YAML mapping, to sit after `# sandbox: `.

    Never wrapped (a WhatsApp-style id is long, and a continuation line would not be
    commented, so the untouched profile would not parse), and it parses back to exactly
    `ids` once uncommented, whatever quotes, colons or non-ASCII the ids hold.
    """
    line = yaml.safe_dump(ids, default_flow_style=True, width=2**31 - 1, allow_unicode=True).strip()
    if "\n" in line or yaml.safe_load(line) != ids:
        line = json.dumps(ids)  # JSON with \u escapes: one line, and valid YAML
    return line


def write_profile(
    path: Path, manifest: str | None, channel: str | None, force: bool = False
) -> tuple[Path, bool]:
    """Write the template; returns the path and whether sandbox candidates were listed."""
    if path.exists() and not force:
        raise ConformanceError("file exists; pass --force to overwrite it", where=str(path))
    candidates: list[dict[str, str]] = []
    client_id = os.environ.get("PIPEDRIVE_CLIENT_ID")
    secret = os.environ.get("PIPEDRIVE_CLIENT_SECRET")
    if manifest and channel and client_id and secret:
        try:
            candidates = discover(manifest, channel, client_id, secret)
        except ConformanceError:
            candidates = []
    sandbox = "# sandbox: {conversation: ..., sender: ..., recipient: ...}"
    if candidates:
        sandbox += "\n# Candidates seen in the channel (uncomment one only if it is a test chat):"
        for ids in candidates:
            sandbox += "\n# sandbox: " + candidate_line(ids)
    text = TEMPLATE.format(
        modeline=modeline(),
        manifest=json.dumps(manifest or "manifest.json"),
        channel=json.dumps(channel) if channel else "REPLACE-with-a-providerChannelId",
        sandbox=sandbox,
    )
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConformanceError(
            f"cannot write profile: {exc.strerror or exc}", where=str(path)
        ) from None
    return path, bool(candidates)
