"""The Target: the provider as the suite sees it, the last step of the inputs stage.

The spec's operations bound to the vendor's URLs from the manifest, with the profile's
credentials, channel and fixtures: built once, before any request, so every problem with
the inputs is one clear error (exit 2) found here. Reading the files and fetching a manifest
URL happen at the edge (`runner.build_target`, through the HTTP stage's fetch); this module
only combines what was read.

Stage: inputs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from conformance.errors import ConformanceError
from conformance.inputs.manifest import Manifest, lint
from conformance.inputs.profile import Profile
from conformance.inputs.spec import Spec, bind


@dataclass
class Target:
    """The provider as the suite sees it, validated before any request is sent."""

    profile: Profile
    manifest: Manifest
    spec: Spec
    bound: dict[str, Any]  # the spec with each operation at its manifest URL (fuzzing)
    meta: dict[str, Any] = field(default_factory=dict)


def target_from(profile: Profile, manifest: Manifest, spec: Spec) -> Target:
    """Bind the spec to the manifest's URLs; a manifest with nothing to bind is the user's
    input problem, said in one line with what lint found."""
    if not manifest.endpoints:
        problems = "; ".join(f.message for f in lint(manifest)) or "no usable endpoints"
        raise ConformanceError(f"manifest cannot be bound: {problems}", where=manifest.source)
    templates = {op: e.template for op, e in manifest.endpoints.items()}
    meta = {
        "profile": profile.redacted(),
        "spec": {"path": str(spec.path), "sha256": spec.digest},
        "manifest": {"source": manifest.source, "sha256": manifest.digest},
        "target": describe_target(
            {"manifest": manifest.source, "channel": profile.channel}, templates
        ),
    }
    return Target(profile, manifest, spec, bind(spec, templates), meta)


def describe_target(profile: dict[str, Any], endpoints: dict[str, str]) -> dict[str, Any]:
    """What was certified, for report headers: manifest source, provider base URL, channel.

    The base URL is the longest common prefix of the endpoint URLs up to a path segment
    (and before any :variable), e.g. `https://acme.example/api/channels/`.
    """
    parts = [urlsplit(url) for url in endpoints.values()]
    origins = sorted({f"{p.scheme}://{p.netloc}" for p in parts})
    if len(origins) == 1:
        common = os.path.commonprefix([p.path.split(":", 1)[0] for p in parts])
        base = origins[0] + common[: common.rfind("/") + 1]
    else:
        base = ", ".join(origins)
    return {
        "manifest": profile.get("manifest"),
        "base_url": base,
        "channel": profile.get("channel"),
    }
