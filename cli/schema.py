"""``pmpath schema``: print a JSON Schema, for integrators."""

from __future__ import annotations

import json

import click

from pmpath.source import schemas

#: what each name prints
SCHEMAS = {
    "profile": "the input: a profile (spec section 3)",
    "output": "the output of `pmpath recommend --format json` (spec section 4)",
    "knowledge": "every knowledge file, keyed by file name",
    "rules": "a rules file",
    "fit": "the output of `pmpath fit --format json` (role fit)",
    "summary": "a record of `pmpath batch --detail summary`",
    "diff": "the report of `pmpath diff --format json`",
    "serve": "the answers of `pmpath serve` (decisions, batch records, errors)",
}


@click.command(
    "schema",
    short_help="Print a JSON Schema: profile, output, summary, fit, serve, knowledge and more.",
)
@click.argument("name", type=click.Choice(list(SCHEMAS)))
def command(name: str) -> None:
    """Print the JSON Schema (draft 2020-12) called NAME.

    \b
    profile    the input: a profile (spec section 3)
    output     what `pmpath recommend --format json` prints (spec section 4)
    knowledge  the schema of every knowledge file, keyed by file name
    rules      a rules file
    fit        what `pmpath fit --format json` prints (role fit)
    summary    a record of `pmpath batch --detail summary`
    diff       what `pmpath diff --format json` prints (a knowledge change on a pool)
    serve      what `pmpath serve` answers (decisions, batch records, errors)
    """
    data = schemas.knowledge_bundle() if name == "knowledge" else schemas.load(name)
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))
