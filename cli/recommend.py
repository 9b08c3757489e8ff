"""``pmpath recommend``: where a profile stands, what to do next, and why."""

from __future__ import annotations

import copy
import os
import shutil
import sys
from typing import IO

import click

from pmpath.errors import AnswerError
from pmpath.profile import check_profile, load_profile
from pmpath.render import DEFAULT_WIDTH, FORMATS, plain, render
from pmpath.words import visible

from .audit import audit_log_option, record_decision, refuse_input
from .common import knowledge_options, load_engine, write_file

#: a question asked again after this many answers that do not fit is left unknown
TRIES = 3


def ask_questions(engine, data: dict, rec):
    """Ask ``rec``'s questions one at a time on stderr, reading answers from stdin and
    re-running after each; return the last recommendation and the answers given."""
    # start-up time: only --ask needs the answers module
    from pmpath.profile import NOT_KNOWN, describe, parse_answer

    current = copy.deepcopy(data)
    answers: dict = {}
    passed: set[str] = set()
    stdin = sys.stdin  # click 8.5 deprecates get_text_stream; CliRunner swaps sys.stdin too
    while True:
        pending = [
            q for q in rec.questions if q["field"] not in answers and q["field"] not in passed
        ]
        if not pending:
            break
        question = pending[0]
        field = question["field"]
        value = NOT_KNOWN
        for _ in range(TRIES):
            click.echo(f"{visible(question['question'])} ({describe(field)}) ", err=True, nl=False)
            line = stdin.readline()
            if not line:  # end of input: stop asking
                click.echo("", err=True)
                pending = []
                break
            try:
                value = parse_answer(field, line)
                break
            except AnswerError as exc:
                click.echo(f"  {visible(str(exc))}", err=True)
        if not pending:
            break
        if value is NOT_KNOWN:
            passed.add(field)
            continue
        answers[field] = value
        section, name = field.split(".", 1)
        current.setdefault(section, {})[name] = value
        rec = engine.recommend(current)
    left = len(rec.questions)
    click.echo(
        f"{len(answers)} answered; {left} question{'s' * (left != 1)} left unanswered", err=True
    )
    return rec, answers


def save_answers(path: str, answers: dict) -> None:
    # start-up time: only --save needs the answers module
    from pmpath.profile import with_answers

    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    fmt = "json" if path.lower().endswith(".json") or text.lstrip().startswith("{") else "yaml"
    new_text, kept = with_answers(text, answers, fmt)
    write_file(path, new_text, what="the profile with your answers")
    how = "" if kept else " (its layout could not be kept, so it was written out afresh)"
    click.echo(f"saved {len(answers)} answers to {path}{how}", err=True)


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
@click.option(
    "--target",
    type=click.Choice(("apm", "pm", "senior_pm", "director", "vp", "cpo")),
    default=None,
    help="The rung you aim at (instead of goals.target): the gaps and steps of every "
    "rung up to it, grouped by rung.",
)
@click.option(
    "--ask",
    is_flag=True,
    help="Ask the questions whose answers would place you (one line each on standard "
    "input; empty or ? for don't know), re-running after each answer, then show the "
    "answer.",
)
@click.option(
    "--save",
    is_flag=True,
    help="With --ask: write the answers back into PROFILE, keeping its comments.",
)
@knowledge_options
@audit_log_option
def command(
    profile: str,
    fmt: str,
    explain: bool,
    target: str | None,
    ask: bool,
    save: bool,
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
      pmpath recommend me.yaml --ask --save
    """
    if save and not ask:
        raise click.UsageError("--save writes the answers of --ask; give --ask too")
    if ask and profile == "-":
        raise click.UsageError(
            "--ask reads the answers from standard input; give PROFILE as a file"
        )
    refuse_input(audit_log, profile)
    if profile == "-" and is_terminal(sys.stdin):
        click.echo("reading a profile from standard input; end it with Ctrl-D", err=True)
    loaded = load_profile(profile)
    check_profile(loaded)  # a bad profile fails before the knowledge is loaded
    if target is not None:
        loaded.data = {
            **loaded.data,
            "goals": {**(loaded.data.get("goals") or {}), "target": target},
        }
    engine = load_engine(knowledge_dir, rules_dir)
    try:
        rec = engine.recommend(loaded)
        if ask:
            rec, answers = ask_questions(engine, loaded.data, rec)
            if save and answers:
                save_answers(profile, answers)
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
