"""The plan: every step a run will take, the rules it feeds and the writes it may make.

Computed from the selected rules and the profile before any request is sent, so a vendor can
read every write before it happens (`messaging-conformance plan`), and `--only` decides what
is sent: a step runs when it feeds a selected rule, and a write happens only then.
`STEP_RULES` is the one map of which step feeds which rule: a rule judged on every exchange
(`EXCHANGE_RULES`) is fed by every step, so `--only RULE` gathers all the evidence a full run
gathers for it, and the plan shows the writes that pulls in. `--only 'manifest.*'` writes
nothing: it reads one walk of conversations, the data `manifest.capability-endpoints` judges.

Stage: plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from conformance.checks import EXCHANGE_CHECKS
from conformance.http.policy import UNKNOWN_PREFIX
from conformance.inputs.contract import ENDPOINT_VARIABLES

if TYPE_CHECKING:
    from conformance.inputs.manifest import Manifest
    from conformance.inputs.profile import Profile
    from conformance.phases.scenarios.session import Session

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
CAPABILITY = "manifest.capability-endpoints"
MID_WALK = "walks with a message arriving mid-walk"
FUZZING = "generated requests"

# step name -> the rules it feeds besides EXCHANGE_RULES, which every step that sends feeds.
# The single source of "which evidence serves which rule": a new step adds its line here.
STEP_RULES: dict[str, frozenset[str]] = {
    # One walk at the default limit: the ids every other step needs, and the data the
    # capability clauses read (avatars, expiring links). The conversation walks begin with
    # the same walk, so a plan that has them needs no discovery step.
    "discovery": frozenset({CAPABILITY}),
    "conversation walks": frozenset({"pagination.cursor-walk"}),
    "message walks": frozenset({"pagination.messages-cursor"}),
    MID_WALK: MID_WALK_RULES,
    "consistency": frozenset(
        {"consistency.conversation-by-id", "consistency.sender-by-id", "consistency.message-by-id"}
    ),
    "unknown ids": frozenset(
        {"notfound.channel", "notfound.conversation", "notfound.sender", "notfound.message"}
    ),
    "auth": frozenset({"auth.required", "auth.wrong-credentials"}),
    "fixtures": frozenset({"auth.account-suspended", "error.forbidden"}),
    "invalid input": frozenset({"robustness.invalid-input"}),
    "posts": POST_RULES,
    FUZZING: frozenset(),
    "rate-limit probe": frozenset({"error.retry-by", "error.retry-by-horizon"}),
    "delete": frozenset({"delete.channel"}),
}


def feeds(step: str) -> frozenset[str]:
    """Every rule the step's exchanges are evidence for."""
    return STEP_RULES[step] | EXCHANGE_RULES


def fed_by(rule: str) -> list[str]:
    """The steps whose evidence a rule is judged on (none for a manifest-only rule)."""
    return [step for step in STEP_RULES if rule in feeds(step)]


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
    from conformance.phases.scenarios import access, consistency, load, pagination, writes

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
    # The two cursor rules' "a message arrives mid-walk" clause: one post per rule judged
    # (both when the exchange rules are, like the posts below: each request is evidence).
    mid_walk_rules = MID_WALK_RULES if EXCHANGE_RULES & selected else MID_WALK_RULES & selected
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
    # A post judged only for the exchange rules still sends all of them: each is evidence.
    post_rules = POST_RULES if EXCHANGE_RULES & selected else POST_RULES & selected
    posts_selected = bool(post_rules)
    actions: list[tuple[str, Callable[[Session], None], tuple[Write, ...]]] = [
        (
            "conversation walks",
            lambda s: (pagination.conversations(s), consistency.plain_reads(s)),
            (),
        ),
        ("message walks", pagination.messages, ()),
        (
            MID_WALK,
            lambda s: pagination.mid_walk(s, mid_walk_rules),
            mid_walk_posts,
        ),
        (
            "consistency",
            lambda s: (
                consistency.conversations(s),
                consistency.senders(s),
                consistency.messages(s),
            ),
            (),
        ),
        ("unknown ids", access.unknown_ids, harmless),
        ("auth", access.auth, harmless),
        ("fixtures", access.fixtures, ()),
        ("invalid input", load.invalid_input, ()),
        ("posts", lambda s: writes.post(s, post_rules), sandbox_posts),
    ]
    if fuzz is not None:
        actions.append(
            (
                FUZZING,
                lambda s: fuzz(s, posts_selected),
                sandbox_posts if posts_selected else (),
            )
        )
    actions += [
        ("rate-limit probe", load.rate_limit_probe, ()),
        ("delete", writes.delete, delete),
    ]
    candidates = [
        Step(name, feeds(name), action, step_writes, "fuzzing" if name == FUZZING else "scenarios")
        for name, action, step_writes in actions
    ]
    steps = tuple(step for step in candidates if step.rules & selected)
    if (steps and steps[0] is not candidates[0]) or (not steps and CAPABILITY in selected):
        # Every other step needs real ids: discovery (one walk at the default limit) first.
        steps = (
            Step(
                "discovery",
                feeds("discovery"),
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
        if not rules:
            lines.append(f"{number}. {step.phase}: {step.name} (the real ids the next steps use)")
            continue
        why = ""
        if step.writes and not STEP_RULES.get(step.name, frozenset()) & plan.selected:
            why = "; its requests, writes included, are evidence for rules judged on every request"
        lines.append(f"{number}. {step.phase}: {step.name} (rules: {shown}{why})")
    lines += [f"Not called: {manifest.unbound(op)}" for op in listed_but_unbound(manifest)]
    lines.append("")
    lines += write_lines(plan, manifest)
    return lines


def listed_but_unbound(manifest: Manifest) -> list[str]:
    """Operations the manifest lists whose URL a manifest rule rejected (never called)."""
    raw = manifest.raw.get("endpoints") if isinstance(manifest.raw, dict) else None
    listed = raw if isinstance(raw, dict) else {}
    return [op for op in ENDPOINT_VARIABLES if op in listed and op not in manifest.endpoints]


def write_lines(plan: Plan, manifest: Manifest) -> list[str]:
    if not plan.steps:
        return ["No request will be sent to the provider."]
    if not plan.writes:
        return ["Writes: none (every request of this run reads)."]
    return ["Writes this run may make:"] + [f"  {w.line(manifest)}" for w in plan.writes]
