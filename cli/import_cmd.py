"""``pmpath import``: a profile from a JSON Resume, a LinkedIn export or Greenhouse candidates."""

from __future__ import annotations

import json
from datetime import date

import click

from pmpath.imports import FORMATS, import_path, profile_jsonl, profile_yaml

from .common import AsOf, write_file


@click.command("import", short_help="A profile from a JSON Resume, LinkedIn export or Greenhouse.")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option(
    "--from",
    "fmt",
    type=click.Choice(("auto", *FORMATS)),
    default="auto",
    show_default=True,
    help="What the sources are (auto: a folder or ZIP is LinkedIn; JSON by its keys).",
)
@click.option(
    "--as-of",
    type=AsOf(),
    default=None,
    help="The day open-ended positions end (YYYY-MM-DD; default today, printed in the "
    "output so a rerun with the same date is identical).",
)
@click.option("-o", "--output", default=None, help="Write here instead of standard output.")
@click.option(
    "--report",
    "report_path",
    default=None,
    help="Also write the report (JSON): each field's value and where it came from, "
    "what stayed unknown, what was skipped or assumed.",
)
@click.option(
    "--format",
    "out_format",
    type=click.Choice(("auto", "yaml", "jsonl")),
    default="auto",
    show_default=True,
    help="yaml for one profile (commented), jsonl for many (auto: yaml when one).",
)
def command(
    sources: tuple[str, ...],
    fmt: str,
    as_of: date | None,
    output: str | None,
    report_path: str | None,
    out_format: str,
) -> None:
    """Turn each SOURCE into a pmpath profile, saying where every value came from.

    A SOURCE is a JSON Resume (jsonresume.org), a LinkedIn data export (the
    unzipped folder, or the ZIP) or a Greenhouse Harvest candidate export (one
    candidate or an array). What a source does not say stays unknown, never
    zero: `pmpath recommend PROFILE --ask` asks about it. docs/import.md has
    every rule.

    \b
    Examples:
      pmpath import cv.json --as-of 2026-12-02 -o me.yaml
      pmpath import ~/Downloads/Basic_LinkedInDataExport.zip -o me.yaml
      pmpath import candidates.json --from greenhouse -o pool.jsonl
    """
    day = as_of or date.today()
    imported = [item for source in sources for item in import_path(source, fmt, as_of=day)]
    as_yaml = out_format == "yaml" or (out_format == "auto" and len(imported) == 1)
    if as_yaml and len(imported) != 1:
        raise click.UsageError(
            f"--format yaml writes one profile; these sources hold {len(imported)}: use "
            "--format jsonl"
        )
    text = (
        profile_yaml(*imported[0]) if as_yaml else "".join(profile_jsonl(p, r) for p, r in imported)
    )
    if report_path is not None:
        reports = [r for _, r in imported]
        body = reports[0] if len(reports) == 1 else reports
        write_file(
            report_path,
            json.dumps(body, indent=2, ensure_ascii=False) + "\n",
            what="the report",
        )
    if output is None:
        click.echo(text, nl=False)
    else:
        write_file(output, text, what="the profile" if as_yaml else "the profiles")
        click.echo(
            f"wrote {output}: {len(imported)} profile{'s' * (len(imported) != 1)}, as of "
            f"{day.isoformat()}",
            err=True,
        )
