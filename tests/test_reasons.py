"""Reasons that hold: a skipped rule names what stopped it, whatever the manifest's shape."""

from __future__ import annotations

from pathlib import Path

from conformance.inputs.manifest import parse_manifest
from conformance.ledger import SKIPPED
from conformance.runner import RunOptions, run
from tests.commands import cli
from tests.faults import provider

REJECTED = (
    "postMessage is in the manifest, but manifest.url-variables rejected its URL "
    "(has unexpected variable :sourceConversationId), so it is never called"
)


def extra_variable(manifest: dict) -> None:
    """The playground's mistake: postMessage's URL names the conversation too."""
    url = manifest["endpoints"]["postMessage"]
    manifest["endpoints"]["postMessage"] = url + "/:sourceConversationId"


def test_unbound_says_absent_or_which_rule_rejected_the_url() -> None:
    raw = b"""{"endpoints": {
        "postMessage": "https://x.example/channels/:providerChannelId/messages/:sourceConversationId",
        "getTemplates": "templates",
        "getConversations": "https://x.example/channels/:providerChannelId/conversations"}}"""
    manifest = parse_manifest(raw, "m.json")
    assert "postMessage" not in manifest.endpoints
    assert manifest.unbound("postMessage") == REJECTED
    assert manifest.unbound("getTemplates") == (
        "getTemplates is in the manifest, but manifest.url-variables rejected its URL "
        "(is not an absolute http(s) URL), so it is never called"
    )
    assert manifest.unbound("getSenderById") == "getSenderById is not in the manifest"


def test_post_rules_skipped_by_a_rejected_url_say_so_in_the_run_and_the_plan(
    tmp_path: Path,
) -> None:
    with provider(tmp_path, None, None, manifest_edit=extra_variable) as (_, path):
        report = run(RunOptions(profile=path, seed=3, fuzz=False, only=["post.*"]))
        planned = cli("plan", "--profile", str(path), "--only", "post.*")
    reasons = {r.rule.id: r.reason for r in report.results if r.rule.id.startswith("post.")}
    assert reasons == {"post.accepts-multipart": REJECTED, "post.invalid-body": REJECTED}
    assert all(r.status == SKIPPED for r in report.results if r.rule.id.startswith("post."))
    assert planned.returncode == 0, planned.stderr
    assert f"Not called: {REJECTED}" in planned.stdout
