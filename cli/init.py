"""``pmpath init``: write a commented profile template to start from."""

from __future__ import annotations

import os

import click

from pmpath.profile import template
from pmpath.words import visible

from .errors import CliError


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
    mode = "w" if force else "x"
    try:
        with open(file, mode, encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    except FileExistsError:
        raise CliError(f"{file}: already exists; use --force to overwrite it") from None
    except IsADirectoryError:
        raise CliError(f"{file}: is a directory; give a file name") from None
    except FileNotFoundError:
        folder = os.path.dirname(file) or "."
        raise CliError(f"{file}: folder {folder} does not exist") from None
    except OSError as exc:
        raise CliError(f"{file}: {exc.strerror or exc}") from None
    shown = visible(file)
    click.echo(f"wrote {shown}; fill it in, then run: pmpath recommend {shown}", err=True)
