"""``pmpath guide``: the knowledge as a career-path guide to read (Markdown or HTML)."""

from __future__ import annotations

import os

import click

from pmpath import load_model
from pmpath.errors import KnowledgeError
from pmpath.guide import FORMATS, render
from pmpath.words import visible

from .common import knowledge_options, write_file
from .errors import CliError

_EXTENSIONS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}


def guess_format(fmt: str | None, output: str | None) -> str:
    """``--format`` if given, else from the output file's extension, else Markdown."""
    if fmt is not None:
        return fmt
    if output:
        return _EXTENSIONS.get(os.path.splitext(output)[1].lower(), "markdown")
    return "markdown"


@click.command("guide")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format [default: from the -o file's extension (.html, .md), else markdown].",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=False),
    default=None,
    help="Write the guide to this file instead of standard output ('-' for standard output).",
)
@knowledge_options
def command(
    fmt: str | None, output: str | None, knowledge_dir: str | None, rules_dir: str | None
) -> None:
    """Render the career path as a guide to read: the ladder with Kwan levels, every
    rung's requirements and how to reach the next, both ways in, specializations,
    skills, thresholds and the whole next-step catalogue, each item with its source.

    HTML is one standalone file (inline CSS, the ladder as an inline SVG diagram).
    The knowledge and rules are checked first, as by `pmpath validate`.
    """
    model, problems = load_model(knowledge_dir, rules_dir)
    if model is None:
        raise CliError(KnowledgeError(problems))
    text = render(model.knowledge, guess_format(fmt, output), version=model.knowledge_version)
    if output is None or output == "-":
        click.echo(text, nl=False)
        return
    write_file(output, text, what="the guide")
    click.echo(f"wrote {visible(output)} ({len(text.encode('utf-8')):,} bytes)", err=True)
