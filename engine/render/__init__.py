"""Showing a `Recommendation` to people and programs: pure functions, no I/O, no click.

    from pmpath.render import render
    print(render(rec, "text", explain=True), end="")

Four formats:

- ``text`` reads at a glance in a terminal: the level with its Kwan level,
  the specialization and shape, the next rung and what is missing for it,
  then numbered next steps, each with why and its source. ``explain=True``
  adds the rules that fired and the facts they read, and, for every gap,
  which conditions of the requirement failed on which values (worked out
  by the one explainer, `pmpath.explain`).
- ``markdown``: the same content for a document, an issue or a wiki.
- ``json``: output v1 (``Recommendation.to_json()``) with a trailing newline,
  byte-identical for the same profile and knowledge.
- ``yaml``: the same content as ``json``, as YAML.

Colour is the caller's choice: text rendering takes a ``style`` function
with `click.style`'s signature (``style(text, fg=..., bold=..., dim=...)``);
the default, `plain`, leaves text as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pmpath.render.markdown import render_markdown
from pmpath.render.text import DEFAULT_WIDTH, Style, plain, render_text
from pmpath.source.documents import dump_yaml

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.results.recommendation import Recommendation


FORMATS = ("text", "json", "markdown", "yaml")


def render(
    rec: Recommendation,
    fmt: str = "text",
    *,
    explain: bool = False,
    style: Style = plain,
    width: int = DEFAULT_WIDTH,
) -> str:
    """``rec`` in ``fmt`` (one of `FORMATS`), ending with a newline.

    ``explain`` and ``style`` apply to text (``explain`` to markdown too); json
    and yaml always carry the full evidence and trace of output v1.
    """
    if fmt == "text":
        return render_text(rec, explain=explain, style=style, width=width)
    if fmt == "markdown":
        return render_markdown(rec, explain=explain)
    if fmt == "json":
        return render_json(rec)
    if fmt == "yaml":
        return render_yaml(rec)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def render_json(rec: Recommendation) -> str:
    """Output v1 as JSON, with a trailing newline."""
    return rec.to_json() + "\n"


def render_yaml(rec: Recommendation) -> str:
    """Output v1 as YAML: the same keys, in the same order, as the JSON."""
    return dump_yaml(
        rec.to_dict(), sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )


__all__ = [
    "DEFAULT_WIDTH",
    "FORMATS",
    "Style",
    "plain",
    "render",
    "render_fit_text",
    "render_json",
    "render_markdown",
    "render_text",
    "render_yaml",
]


def __getattr__(name: str) -> Any:
    if name == "render_fit_text":
        # start-up time: the fit renderer loads only for `pmpath fit`
        from pmpath.render.fit import render_text

        globals()[name] = render_text
        return render_text
    raise AttributeError(f"module 'pmpath.render' has no attribute {name!r}")
