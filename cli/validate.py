"""``pmpath validate``: check knowledge and rules, report every problem at once."""

from __future__ import annotations

import click

from pmpath.validation import validate
from pmpath.words import visible

from .common import knowledge_options


@click.command("validate")
@knowledge_options
@click.option("--no-cases", is_flag=True, help="Skip running the test cases kept beside each rule.")
def command(knowledge_dir: str | None, rules_dir: str | None, no_cases: bool) -> None:
    """Check the knowledge and rules: schemas, ids, references, coverage, rule hazards.

    Prints every problem, sorted, one per line as ``file:line: code: message``
    and exits 1; prints a one-line summary and exits 0 when all is well.
    """
    report = validate(knowledge_dir, rules_dir, cases=not no_cases)
    for problem in report.problems:
        click.echo(visible(problem))
    if report.problems:
        n = len(report.problems)
        click.echo(f"{n} problem{'s' * (n != 1)} found", err=True)
        raise SystemExit(1)
    click.echo(report.summary())
