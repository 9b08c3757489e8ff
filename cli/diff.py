"""``pmpath diff``: what a knowledge or rules change does to a pool of profiles."""

from __future__ import annotations

import json
import os
import shutil
import sys

import click

from pmpath import Engine
from pmpath.diff import (
    FAIL_ON_EXIT,
    SHORTLIST_SCORE,
    DiffRun,
    checkout_base,
    parse_conditions,
    to_html,
    to_markdown,
)
from pmpath.errors import DiffError, KnowledgeError
from pmpath.words import visible

from .common import (
    check_opening,
    knowledge_options,
    load_engine,
    opening_options,
    pool_options,
    write_file,
)
from .errors import CliError

FORMATS = ("markdown", "html", "json")


@click.command("diff")
@click.argument("pool", nargs=-1, required=True, metavar="POOL...")
@click.option(
    "--base",
    "base_rev",
    metavar="REV",
    help="Take the base knowledge and rules "
    "from this git revision of the checkout you are in (a branch, tag or commit).",
)
@click.option(
    "--base-knowledge",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    help="The base knowledge directory (default with --base-rules: the new side's).",
)
@click.option(
    "--base-rules",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    help="The base rules directory (default with --base-knowledge: the new side's).",
)
@knowledge_options
@opening_options(required=False)
@click.option(
    "--shortlist-score",
    type=click.IntRange(0, 100),
    default=SHORTLIST_SCORE,
    show_default=True,
    help="With --role: fit scores from this up are on the shortlist.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="markdown",
    show_default=True,
    help="markdown for a pull request, html for one standalone page, json for machines.",
)
@click.option("-o", "--output", default="-", metavar="FILE", help="Where to write the report.")
@click.option(
    "--fail-on",
    metavar="EXPR",
    default=None,
    help="Exit 4 when a condition holds, e.g. 'level>2%', 'down>0', 'requirements>=100' "
    "(several separated by commas; see docs/knowledge.md for the metrics).",
)
@pool_options
def command(
    pool: tuple[str, ...],
    base_rev: str | None,
    base_knowledge: str | None,
    base_rules: str | None,
    knowledge_dir: str | None,
    rules_dir: str | None,
    role: str | None,
    specialization: str | None,
    shortlist_score: int,
    fmt: str,
    output: str,
    fail_on: str | None,
    workers: int | None,
    input_format: str,
    chunk_size: int,
) -> None:
    """Replay a pool of profiles through two versions of the knowledge and rules.

    The pool is anything pmpath batch reads (JSONL, CSV, directories and globs of
    profile files, - for stdin). The base side is --base REV (a git revision of
    the checkout you are in) or --base-knowledge/--base-rules; the new side is
    --knowledge/--rules (default: the shipped ones). The report counts level,
    specialization, shape, certainty and next-rung transitions, requirement and
    rule outcomes that changed, what still blocks the profiles a change freed,
    next-step changes and, with --role, the fit score shift, with example ids.

    Exit status: 0, or 4 when a --fail-on condition holds; 1 for a problem with
    the inputs or the knowledge, 2 for bad options.

    \b
    Examples:
      pmpath diff --base main pool.jsonl
      pmpath diff --base-knowledge old/knowledge pool.csv --format html -o diff.html
      pmpath diff --base HEAD~1 pool.jsonl --role senior_pm --fail-on 'level>2%,down>0'
    """
    # Long on purpose: a click command with its options; the work is in `pmpath.diff`.
    if base_rev is not None and (base_knowledge or base_rules):
        raise click.UsageError("give --base REV or --base-knowledge/--base-rules, not both")
    if base_rev is None and not (base_knowledge or base_rules):
        raise click.UsageError(
            "say what to compare against: --base REV (a git revision) or "
            "--base-knowledge DIR and/or --base-rules DIR"
        )
    try:
        conditions = parse_conditions(fail_on) if fail_on is not None else []
    except DiffError as exc:
        message = exc.message.removeprefix("--fail-on: ")
        raise click.BadParameter(message, param_hint="'--fail-on'") from None
    new = load_engine(knowledge_dir, rules_dir)
    check_opening(new, role, specialization)
    scratch = None
    try:
        if base_rev is not None:
            scratch, base_knowledge, base_rules = checkout_base(base_rev, knowledge_dir, rules_dir)
        else:
            base_knowledge = base_knowledge or knowledge_dir
            base_rules = base_rules or rules_dir
        tree = os.path.join(scratch, "tree") + os.sep if scratch is not None else None
        base = _load_base(base_knowledge, base_rules, base_rev, tree)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    err = sys.stderr

    def report_death(death) -> None:
        click.echo(f"warning: {visible(death)}", file=err)

    run = DiffRun(
        base,
        new,
        pool,
        workers=workers,
        input_format=input_format,
        role=role,
        specialization=specialization,
        shortlist=shortlist_score,
        chunk_size=chunk_size,
        stdin=sys.stdin.buffer,
        on_event=report_death,
    )
    total = run.total_bytes()
    if err.isatty() and total:
        with click.progressbar(length=total, label="comparing", file=err) as bar:
            run.on_progress = lambda done: bar.update(done - bar.pos)
            report = run.run()
    else:
        report = run.run()
    doc = report.to_dict()
    if fmt == "json":
        text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    elif fmt == "html":
        text = to_html(doc)
    else:
        text = to_markdown(doc)
    _write(output, text)
    s = doc["summary"]
    where = "" if output == "-" else f"; report in {visible(output)}"
    click.echo(
        f"diff: {doc['pool']['records']:,} records, {s['profiles_changed']:,} profiles "
        f"changed, {s['level_changed']:,} levels ({s['up']:,} up, {s['down']:,} down){where}",
        file=err,
    )
    tripped = []
    for condition in conditions:
        holds, said = condition.holds(report)
        if holds:
            tripped.append(said)
    for said in tripped:
        click.echo(f"fail-on: {said}", file=err)
    if tripped:
        raise SystemExit(FAIL_ON_EXIT)


def _load_base(knowledge: str | None, rules: str | None, rev: str | None, tree: str | None):
    """The base engine; ``tree`` is the temporary checkout of ``--base REV``, whose
    path is dropped from problems so they name files as the repository does."""
    try:
        return Engine.load(knowledge, rules)
    except KnowledgeError as exc:
        side = f"the base ({rev})" if rev else "the base"
        first = exc.problems[0] if exc.problems else None
        more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        where = f"{first.file}:{first.line}: {first.code}: {first.message}" if first else ""
        if tree is not None:
            where = where.replace(tree, "")
        raise CliError(
            f"{side} knowledge or rules are invalid: {where}{more}; check them with pmpath validate"
        ) from None


def _write(output: str, text: str) -> None:
    if output == "-":
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.flush()
        return
    write_file(output, text, what="the report")
