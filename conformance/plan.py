"""The plan: every step a run will take, the rules it serves and the writes it may make.

Computed from the selected rules and the profile before any request is sent, so a vendor can
read every write before it happens (`messaging-conformance plan`), and `--only` decides what
is sent: a step runs only when one of its rules is selected, and a write happens only when a
selected rule needs it. `--only 'manifest.*'` plans no request at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from conformance.checks import EXCHANGE_CHECKS
from conformance.client import UNKNOWN_PREFIX

if TYPE_CHECKING:
    from conformance.manifest import Manifest
    from conformance.profile import Profile
    from conformance.scenarios.session import Session

MANIFEST_RULES = frozenset(
    {
        "manifest.schema",
        "manifest.required-endpoints",
        "manifest.url-variables",
        "manifest.https",
        "manifest.unknown-endpoint",
        "manifest.capability-endpoints",
    }
)
# Judged on every exchange, whichever step sent it: discovery and fuzzing serve them.
EXCHANGE_RULES = frozenset(EXCHANGE_CHECKS) | {"robustness.provider-alive"}
# Walks with a post to the sandbox between two pages: writes, so only with a sandbox.
MID_WALK_RULES = frozenset({"pagination.cursor-walk", "pagination.messages-cursor"})
POST_RULES = frozenset(
    {"post.accepts-multipart", "post.invalid-body", "participants.group-post-rejected"}
)


@dataclass(frozen=True)
class Write:
    """One kind of write a step may make: what, where, and which id it touches."""

    method: str
    operation: str
    target: str
    count: str

    def line(self, manifest: Manifest | None = None) -> str:
        endpoint = manifest.endpoint(self.operation) if manifest is not None else None
        url = f" {endpoint.template}" if endpoint is not None else ""
        return f"{self.method} {self.operation}{url}: {self.count}, {self.target}"


@dataclass(frozen=True)
class Step:
    name: str
    rules: frozenset[str]
    action: Callable[[Session], None]
    writes: tuple[Write, ...] = ()
    phase: str = "scenarios"


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    selected: frozenset[str]

    @property
    def sends_requests(self) -> bool:
        return bool(self.steps)

    @property
    def writes(self) -> list[Write]:
        out: list[Write] = []
        for step in self.steps:
            out += [w for w in step.writes if w not in out]
        return out


def make_plan(
    profile: Profile,
    manifest: Manifest,
    selected: frozenset[str],
    *,
    fuzz: Callable[[Session, bool], None] | None,
) -> Plan:
    """The steps for the selected rules; `fuzz(session, posts_allowed)` runs the fuzz phase."""
    from conformance.scenarios import access, consistency, load, pagination, writes

    has = manifest.endpoints.__contains__
    unknown = f"made-up channel ids ({UNKNOWN_PREFIX}…) that no provider holds: cannot touch data"
    harmless = tuple(
        Write(method, op, unknown, "auth and not-found probes")
        for method, op in (("POST", "postMessage"), ("DELETE", "deleteChannelById"))
        if has(op)
    )
    sandbox = profile.sandbox
    sandbox_posts = (
        ()
        if sandbox is None or not has("postMessage")
        else (
            Write(
                "POST",
                "postMessage",
                f"only conversation {sandbox.conversation!r} of channel {profile.channel!r} "
                f"(the profile's sandbox), as {sandbox.sender!r} to {sandbox.recipient!r}",
                "valid, invalid and group test messages",
            ),
        )
    )
    # The two cursor rules' "a message arrives mid-walk" clause: one post per selected rule.
    mid_walk_rules = MID_WALK_RULES & selected
    mid_walk_posts = tuple(
        Write(
            w.method,
            w.operation,
            w.target,
            "one text message in the middle of a walk, per cursor rule (up to two)",
        )
        for w in sandbox_posts
        if mid_walk_rules
    )
    delete = (
        ()
        if profile.disposable_channel is None or not has("deleteChannelById")
        else (
            Write(
                "DELETE",
                "deleteChannelById",
                f"only channel {profile.disposable_channel!r} (the profile's disposable_channel)",
                "once",
            ),
        )
    )
    posts_selected = bool(POST_RULES & selected)
    candidates = [
        Step(
            "conversation walks",
            frozenset({"pagination.cursor-walk"}) | EXCHANGE_RULES,
            lambda s: (pagination.conversations(s), consistency.plain_reads(s)),
        ),
        Step("message walks", frozenset({"pagination.messages-cursor"}), pagination.messages),
        Step(
            "walks with a message arriving mid-walk",
            MID_WALK_RULES,
            lambda s: pagination.mid_walk(s, mid_walk_rules),
            mid_walk_posts,
        ),
        Step(
            "consistency",
            frozenset(
                {
                    "consistency.conversation-by-id",
                    "consistency.sender-by-id",
                    "consistency.message-by-id",
                }
            ),
            lambda s: (
                consistency.conversations(s),
                consistency.senders(s),
                consistency.messages(s),
            ),
        ),
        Step(
            "unknown ids",
            frozenset(
                {"notfound.channel", "notfound.conversation", "notfound.sender", "notfound.message"}
            ),
            access.unknown_ids,
            harmless,
        ),
        Step(
            "auth",
            frozenset({"auth.required", "auth.wrong-credentials"}),
            access.auth,
            harmless,
        ),
        Step(
            "fixtures",
            frozenset({"auth.account-suspended", "error.forbidden"}),
            access.fixtures,
        ),
        Step("invalid input", frozenset({"robustness.invalid-input"}), load.invalid_input),
        Step(
            "posts",
            POST_RULES,
            lambda s: writes.post(s, POST_RULES & selected),
            sandbox_posts,
        ),
    ]
    if fuzz is not None:
        candidates.append(
            Step(
                "generated requests",
                EXCHANGE_RULES,
                lambda s: fuzz(s, posts_selected),
                sandbox_posts if posts_selected else (),
                phase="fuzzing",
            )
        )
    candidates += [
        Step(
            "rate-limit probe",
            frozenset({"error.retry-by", "error.retry-by-horizon"}),
            load.rate_limit_probe,
        ),
        Step("delete", frozenset({"delete.channel"}), writes.delete, delete),
    ]
    steps = tuple(step for step in candidates if step.rules & selected)
    if steps and steps[0] is not candidates[0]:
        # Every other step needs real ids: discovery (one walk at the default limit) first.
        steps = (
            Step(
                "discovery",
                frozenset(),
                lambda s: (
                    pagination.conversations(s, compare=False),
                    consistency.plain_reads(s),
                ),
            ),
            *steps,
        )
    return Plan(steps, selected)


def describe_plan(plan: Plan, profile: Profile, manifest: Manifest) -> list[str]:
    """The plan as lines a person reads before anything is sent."""
    lines = [f"1. manifest lint ({manifest.source}): no requests"]
    if not plan.steps:
        return lines + write_lines(plan, manifest)
    lines.append(f"2. preflight: one authenticated getConversations on channel {profile.channel!r}")
    for number, step in enumerate(plan.steps, start=3):
        rules = sorted(step.rules & plan.selected)
        shown = ", ".join(rules[:4]) + (f" and {len(rules) - 4} more" if len(rules) > 4 else "")
        lines.append(f"{number}. {step.phase}: {step.name} (rules: {shown})")
    lines.append("")
    lines += write_lines(plan, manifest)
    return lines


def write_lines(plan: Plan, manifest: Manifest) -> list[str]:
    if not plan.steps:
        return ["No request will be sent to the provider."]
    if not plan.writes:
        return ["Writes: none (every request of this run reads)."]
    return ["Writes this run may make:"] + [f"  {w.line(manifest)}" for w in plan.writes]
