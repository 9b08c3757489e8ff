"""The career-path guide: the knowledge rendered for a person to read.

    from pmpath import load_model
    from pmpath.guide import render
    model, problems = load_model()
    text = render(model.knowledge, "html", version=model.knowledge_version)

`render_markdown` and `render_html` are pure functions: a `Knowledge` in, a
string out, byte-for-byte the same for the same knowledge (no clock, no
environment, knowledge order throughout). Both hold the same content: the
ladder with Kwan's levels, every rung (summary, responsibilities, requirements
with their thresholds filled in, how to reach the next rung), the two ways in,
what sets a senior PM apart, the four shifts to product leader, kinds of work
and specializations, the common skills, the problems of treating every PM the
same, the thresholds with their rationale, the whole next-step catalogue and
the sources. Every item cites its source by id, linked to the sources list.

The HTML is one standalone file: inline CSS, no scripts, no external assets;
the ladder is drawn as an inline SVG diagram (`ladder_svg`).
"""

from __future__ import annotations

from pmpath.guide.html import render_html
from pmpath.guide.markdown import render_markdown
from pmpath.model.knowledge import Knowledge

FORMATS = ("markdown", "html")


def render(knowledge: Knowledge, fmt: str = "markdown", *, version: str | None = None) -> str:
    """The guide in ``fmt`` (``markdown`` or ``html``)."""
    if fmt == "markdown":
        return render_markdown(knowledge, version=version)
    if fmt == "html":
        return render_html(knowledge, version=version)
    raise ValueError(f"unknown guide format {fmt!r}; use one of: {', '.join(FORMATS)}")


__all__ = [
    "FORMATS",
    "render",
    "render_html",
    "render_markdown",
]
