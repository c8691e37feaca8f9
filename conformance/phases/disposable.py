"""Bring the disposable channel back before the delete step: `disposable_channel.recreate`.

A run deletes the disposable channel, so the next night's run would find it gone. The
profile may name a shell command that recreates it (a vendor script, a curl to an admin
API); it runs right before the delete step, bounded by a timeout, and what it printed goes
into the report. If it fails, delete.channel is SKIPPED with the command's last line rather
than FAILED: a broken fixture script says nothing about the provider.

Stage: phases.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

OUTPUT_KEPT = 4000  # characters of the command's output the report keeps (the tail)


@dataclass(frozen=True)
class Recreated:
    """What the recreate command did: exit code (None when it timed out or could not start)."""

    command: str
    exit_code: int | None
    output: str
    duration_s: float
    problem: str | None = None  # why it did not run to completion, if it did not

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def last_line(self) -> str:
        lines = [line.strip() for line in self.output.splitlines() if line.strip()]
        return lines[-1][:200] if lines else ""

    def skip_reason(self) -> str:
        """The reason delete.channel is SKIPPED when the command did not succeed."""
        if self.problem is not None:
            what = self.problem
        else:
            what = f"exited with {self.exit_code}"
        tail = f": {self.last_line}" if self.last_line else ""
        return f"disposable_channel.recreate {what}{tail}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "exit_code": self.exit_code,
            "output": self.output,
            "duration_s": self.duration_s,
            **({"problem": self.problem} if self.problem else {}),
        }


def recreate(
    command: str, timeout: float, scrub: Callable[[str], str] = lambda text: text
) -> Recreated:
    """Run `command` in a shell (its own process group, so a timeout ends its children too).

    `scrub` removes the client secret from the command and its output before they are kept.
    """
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            command,
            shell=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        return Recreated(scrub(command), None, "", 0.0, f"could not start: {exc.strerror or exc}")
    problem = None
    try:
        raw, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raw, _ = process.communicate()
        problem = f"timed out after {timeout:g} s"
    output = scrub(raw.decode("utf-8", errors="replace"))[-OUTPUT_KEPT:]
    return Recreated(
        scrub(command),
        None if problem else process.returncode,
        output,
        round(time.monotonic() - started, 3),
        problem,
    )


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()


def prepare(session: Any) -> str | None:
    """Run the profile's recreate command, if any, before the delete step.

    Returns the skip reason for delete.channel when the command failed, else None. The
    outcome goes to `session.notes["disposable_recreate"]`, which the report carries.
    """
    profile = session.profile
    if profile.disposable_recreate is None:
        return None
    outcome = recreate(
        profile.disposable_recreate,
        profile.disposable_recreate_timeout,
        session.client.redactor.scrub,
    )
    session.notes["disposable_recreate"] = outcome.to_dict()
    return None if outcome.ok else outcome.skip_reason()
