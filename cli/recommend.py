"""``pmpath recommend``: where a profile stands, what to do next, and why."""

from __future__ import annotations

import os
import shutil
import sys
from typing import IO

import click

from pmpath.profile import check_profile, load_profile
from pmpath.render import DEFAULT_WIDTH, FORMATS, plain, render

from .audit import audit_log_option, record_decision, refuse_input
from .common import knowledge_options, load_engine


def is_terminal(stream: IO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):  # a closed or unusual stream
        return False


def wants_colour(stream: IO, environ=os.environ) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    return not environ.get("NO_COLOR") and is_terminal(stream)


def text_width(stream: IO) -> int:
    """Wrap to the terminal (between 60 and 100 columns); a fixed width otherwise, so
    piped output is the same everywhere."""
    if is_terminal(stream):
        columns = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
        return max(60, min(columns, 100))
    return DEFAULT_WIDTH


@click.command("recommend", short_help="Where a profile stands, what to do next, and why.")
@click.argument("profile", metavar="PROFILE")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people; json (output v1) and yaml for programs; markdown for documents.",
)
@click.option(
    "--explain",
    is_flag=True,
    help="Also show the rules that fired, the facts they read, and which conditions of "
    "each missing requirement failed (text and markdown; json and yaml always carry "
    "the evidence and the full trace).",
)
@knowledge_options
@audit_log_option
def command(
    profile: str,
    fmt: str,
    explain: bool,
    knowledge_dir: str | None,
    rules_dir: str | None,
    audit_log=None,
) -> None:
    """Say where PROFILE stands on the product manager career path, and what to do next.

    PROFILE is a YAML or JSON file (`pmpath init` writes a template), or - to read
    standard input. Bad input is reported on one line on stderr, with exit code 1.

    \b
    Examples:
      pmpath recommend examples/profiles/senior-pm.yaml
      pmpath recommend me.yaml --explain
      pmpath recommend me.yaml --format json > me.json
      cat me.json | pmpath recommend - --format markdown
      pmpath recommend me.yaml --audit-log decisions.jsonl
    """
    refuse_input(audit_log, profile)
    if profile == "-" and is_terminal(sys.stdin):
        click.echo("reading a profile from standard input; end it with Ctrl-D", err=True)
    loaded = load_profile(profile)
    check_profile(loaded)  # a bad profile fails before the knowledge is loaded
    engine = load_engine(knowledge_dir, rules_dir)
    try:
        rec = engine.recommend(loaded)
        version = engine.knowledge_version
        record_decision(audit_log, "recommend", loaded.data, rec.to_dict(), version)
        stdout = sys.stdout
        colour = fmt == "text" and wants_colour(stdout)
        output = render(
            rec,
            fmt,
            explain=explain,
            style=click.style if colour else plain,
            width=text_width(stdout) if fmt == "text" else DEFAULT_WIDTH,
        )
    finally:
        engine.close()
    click.echo(output, nl=False, color=colour or None)
