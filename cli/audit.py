"""``--audit-log FILE`` for any command: one JSON line per decision.

A command adopts it with two lines::

    @audit_log_option                      # the command gets `audit_log: AuditLog | None`
    def command(..., audit_log):
        ...
        record_decision(audit_log, "recommend", profile, rec.to_dict(), engine.knowledge_version)

The file is opened while the arguments are parsed, so a path that cannot be
written fails at once (exit 1, one line) instead of after the work; it is closed when the
command ends. Record the decision before printing it, so that nothing is shown
that the log does not hold.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import click

from pmpath.audit import AuditLog
from pmpath.errors import AuditError
from pmpath.words import visible

from .errors import CliError


def _open(ctx: click.Context, param: click.Parameter, value: str | None) -> AuditLog | None:
    if value is None:
        return None
    try:
        log = AuditLog(value)
    except AuditError as exc:  # a file problem, not a usage mistake: one line, exit 1
        raise CliError(exc.message) from None
    ctx.call_on_close(log.close)
    return log


def audit_log_option(func):
    """``--audit-log FILE``: the command receives ``audit_log`` (an `AuditLog`, or None)."""
    return click.option(
        "--audit-log",
        "audit_log",
        type=click.Path(dir_okay=False),
        default=None,
        callback=_open,
        metavar="FILE",
        help=(
            "Append one JSON line per decision to FILE (created if missing): timestamp, "
            "pmpath and knowledge versions, sha256 of the input, the output. "
            "Safe for concurrent writers."
        ),
    )(func)


def record_decision(
    audit_log: AuditLog | None,
    kind: str,
    profile: Any,
    output: Mapping[str, Any],
    knowledge_version: str,
    request: Mapping[str, Any] | None = None,
) -> None:
    """Append one decision to ``audit_log``; does nothing when there is no log."""
    if audit_log is None:
        return
    audit_log.record(kind, profile, output, knowledge_version, request=request)


def refuse_input(audit_log: AuditLog | None, *inputs: str) -> None:
    """A log pointed at an input would append decisions to it: refuse, one line."""
    if audit_log is None:
        return
    for path in inputs:
        if path != "-" and os.path.isfile(path) and os.path.samefile(path, audit_log.path):
            raise CliError(
                f"{visible(path)} is both an input and the audit log; write the log elsewhere"
            )
