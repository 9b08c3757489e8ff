"""``pmpath init``: write a commented profile template to start from."""

from __future__ import annotations

import click

from pmpath.profile import template
from pmpath.words import visible

from .common import write_file


@click.command("init", short_help="Write a commented profile template.")
@click.argument("file", required=False, metavar="[FILE]")
@click.option("--force", is_flag=True, help="Overwrite FILE if it already exists.")
def command(file: str | None, force: bool) -> None:
    """Write a commented profile template to FILE (or to standard output).

    Every field of the profile is there, with what it means and the values it
    takes; fill in what you know, then run `pmpath recommend FILE`. The template
    is itself a valid profile. An existing FILE is never overwritten without
    --force.
    """
    text = template()
    if file is None or file == "-":
        click.echo(text, nl=False)
        return
    write_file(file, text, what="the template", replace=force)
    shown = visible(file)
    click.echo(f"wrote {shown}; fill it in, then run: pmpath recommend {shown}", err=True)
