"""Renderings of the canonical report.json: JUnit XML, HTML and Markdown.

Each renderer is a pure function of the report dict, so `messaging-conformance report` can
re-render a saved report byte for byte, and the renderings can never disagree.

Stage: report.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conformance.errors import ConformanceError
from conformance.redact import Redactor
from conformance.report.render.html import render_html
from conformance.report.render.junit import render_junit
from conformance.report.render.markdown import render_markdown

RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "junit": render_junit,
    "html": render_html,
    "md": render_markdown,
}
FILENAMES = {"json": "report.json", "junit": "junit.xml", "html": "report.html", "md": "summary.md"}


def render_json(data: dict[str, Any]) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render(data: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return render_json(data)
    return RENDERERS[fmt](data)


def write_text(path: Path, text: str) -> Path:
    """Atomic write, so a reader never sees half a report."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(temp, path)
    except OSError as exc:
        raise ConformanceError(
            f"cannot write report: {exc.strerror or exc}", where=str(path)
        ) from None
    return path


def write_all(
    data: dict[str, Any], directory: str | Path, redactor: Redactor | None = None
) -> dict[str, Path]:
    """Every rendering into `directory`; with the run's `redactor`, the document and each
    rendering are scrubbed once more (a mark without markup, so XML and HTML stay valid)."""
    directory = Path(directory)
    if redactor:
        data = redactor.scrub_data(data)
    paths = {}
    for fmt, name in FILENAMES.items():
        text = render(data, fmt)
        if redactor:
            text = redactor.scrub(text, "[redacted]")
        paths[fmt] = write_text(directory / name, text)
    return paths
