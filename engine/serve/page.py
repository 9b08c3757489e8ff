"""The self-assessment page: one standalone HTML document, rendered on the server.

`render_page` draws the form (from `pmpath.serve.form`, so from the profile
schema), and, once submitted, the answer above it: the level with its
certainty, the questions that would place the person better (each a link to
its field), the gaps and numbered next steps with their sources, and the
ladder with the person's place on it. Pure: data in, text out. Everything a
person typed is escaped wherever it is shown; the page loads nothing from
elsewhere (no scripts, fonts or styles), and needs no JavaScript.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from pmpath.guide.svg import ladder_svg
from pmpath.model.knowledge import Knowledge
from pmpath.render.text import placement
from pmpath.serve.form import UNKNOWN, Field, sections
from pmpath.words import number, visible

TITLE = "Where do you stand on the product manager career path?"

#: the Content-Security-Policy the page is sent with: nothing from elsewhere, no script
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)

_STYLE = """
:root { color-scheme: light; --ink: #1f2933; --muted: #52606d; --line: #cbd2d9;
  --accent: #1f6feb; --warn: #b7791f; --bad: #c53030; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--ink); background: #f5f7fa; }
main { max-width: 48rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; line-height: 1.25; }
h2 { font-size: 1.25rem; margin-top: 2rem; }
section.card, fieldset { background: #fff; border: 1px solid var(--line);
  border-radius: 8px; padding: 1rem; margin: 0 0 1rem; }
fieldset legend { font-weight: 700; padding: 0 .25rem; }
.field { margin: .75rem 0 1rem; }
.field label.name { display: block; font-weight: 600; }
.field .desc { display: block; color: var(--muted); font-size: .9rem; }
.field input[type=number], .field input[type=text], .field select {
  font: inherit; padding: .4rem .5rem; border: 1px solid var(--line);
  border-radius: 6px; width: 100%; max-width: 20rem; background: #fff; }
.choices label, .dontknow { margin-right: 1rem; white-space: nowrap; }
.dontknow { color: var(--muted); }
.error { color: var(--bad); font-weight: 600; }
.field.has-error input, .field.has-error select { border-color: var(--bad); }
.level { font-size: 1.25rem; }
.certainty-at_least { border-left: 6px solid var(--warn); }
.certainty-placed { border-left: 6px solid var(--accent); }
.buttons { display: flex; flex-wrap: wrap; gap: .5rem; margin: 1rem 0; }
button { font: inherit; padding: .6rem 1rem; border-radius: 6px;
  border: 1px solid var(--accent); background: var(--accent); color: #fff; }
button.secondary { background: #fff; color: var(--accent); }
.ladder svg { width: 100%; height: auto; }
.source { color: var(--muted); font-size: .9rem; }
.status-unknown { color: var(--warn); }
footer { color: var(--muted); font-size: .85rem; margin: 2rem 0; }
"""


def _e(text: Any) -> str:
    """Anything a person typed (or anything at all), escaped for HTML text or attributes."""
    return escape(visible(str(text)), quote=True)


def render_page(
    knowledge: Knowledge,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    result: Mapping[str, Any] | None = None,
    notice: str = "",
) -> str:
    """The page: the answer (``result``, output v1) if any, then the form.

    ``values`` fill the form (a field's text as typed; absent = not given),
    ``errors`` are messages per field path (and ``""`` for the whole form),
    ``notice`` a line above the form (a profile was loaded).
    """
    values = values or {}
    errors = errors or {}
    parts = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(TITLE if result is None else 'Your answer · pmpath')}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{_e(TITLE)}</h1>",
        "<p>Answer what you know about your work so far. Anything you leave empty or mark "
        "<em>I don't know</em> stays unknown: pmpath does not read it as zero, it says how "
        "high you could be and which questions would settle it.</p>",
    ]
    if result is not None:
        parts.append(_result(knowledge, result))
    if errors:
        parts.append(_error_summary(errors))
    if notice:
        parts.append(f'<p class="notice" id="notice">{_e(notice)}</p>')
    parts.append(_form(values, errors))
    parts.append(
        "<footer>pmpath: the answer comes from rules written from six published "
        "articles on the product manager career path; every conclusion cites its "
        "article. Nothing you type is stored unless this service keeps an audit log of "
        "decisions, which holds a hash of your answers, not the answers.</footer>"
    )
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


# -- the answer -------------------------------------------------------------------------
def _result(k: Knowledge, data: Mapping[str, Any]) -> str:
    level = data["level"]
    certainty = level["certainty"]
    out = [
        f'<section class="card certainty-{_e(certainty)}" id="result" '
        f'data-level="{_e(level["id"])}" data-certainty="{_e(certainty)}" '
        f'data-possible="{_e(level["possible"]["id"])}">',
        "<h2>Your answer</h2>",
        f'<p class="level" id="level"><strong>{_e(placement(data))}</strong></p>',
    ]
    kwan = f"Kwan level {level['kwan_level']}, {level['kwan_name']}"
    if certainty == "placed":
        out.append(
            f'<p id="certainty">Placed: what you told pmpath settles this rung ({_e(kwan)}).</p>'
        )
    else:
        out.append(
            f'<p id="certainty">At least <strong>{_e(level["title"])}</strong> on what you '
            f"told pmpath ({_e(kwan)}); the highest rung your unknown answers leave open is "
            f'<strong id="possible">{_e(level["possible"]["title"])}</strong>.</p>'
        )
    spec = data["specialization"]
    out.append(f"<p>Kind of PM: {_e(spec['title'])}, {_e(spec['shape'])}-shaped.</p>")
    questions = data.get("questions") or []
    if questions:
        out.append('<h3 id="questions">Questions that would place you better</h3>')
        out.append('<ol class="questions">')
        for q in questions:
            anchor = "f-" + str(q["field"]).replace(".", "-")
            out.append(
                f'<li data-field="{_e(q["field"])}"><a href="#{_e(anchor)}">'
                f"{_e(q['question'])}</a> {_cite(k, q.get('source'))}</li>"
            )
        out.append("</ol>")
    nxt = data.get("next_level")
    if nxt:
        out.append(f'<h3 id="gaps">What {_e(nxt["title"])} asks that is not shown yet</h3>')
        if nxt["gaps"]:
            out.append('<ul class="gaps">')
            for gap in nxt["gaps"]:
                notes = []
                if gap["status"] == "unknown":
                    notes.append('<span class="status-unknown">not known yet</span>')
                if gap["weight"] == "typical":
                    notes.append("typical of the rung, not required")
                note = f" ({'; '.join(notes)})" if notes else ""
                out.append(
                    f'<li data-status="{_e(gap["status"])}">{_e(gap["description"])}{note} '
                    f"{_cite(k, gap.get('source'))}</li>"
                )
            out.append("</ul>")
        else:
            out.append("<p>Nothing: you show everything the next rung asks.</p>")
    steps = data.get("next_steps") or []
    if steps:
        out.append('<h3 id="steps">Next steps</h3>')
        out.append('<ol class="steps">')
        for step in steps:
            why = (
                f'<br><span class="source">Why: {_e(step["why"])}</span>' if step.get("why") else ""
            )
            out.append(
                f'<li data-step="{_e(step["id"])}"><strong>{_e(step["title"])}</strong>. '
                f"{_e(step['description'])} {_cite(k, step.get('source'))}{why}</li>"
            )
        out.append("</ol>")
    out.append('<h3 id="ladder">Where that is on the ladder</h3>')
    out.append('<div class="ladder">')
    out.append(ladder_svg(k, place=(level["id"], level["possible"]["id"]), links=False))
    out.append("</div>")
    cited = _sources(k, data)
    if cited:
        out.append('<h3 id="sources">Sources</h3><ul class="sources">')
        for sid in cited:
            src = k.sources.get(sid, {})
            authors = ", ".join(src.get("authors", ()))
            out.append(
                f'<li id="source-{_e(sid)}"><strong>{_e(sid)}</strong>: '
                f"“{_e(src.get('title', sid))}”"
                + (f" ({_e(authors)})" if authors else "")
                + "</li>"
            )
        out.append("</ul>")
    out.append("</section>")
    return "\n".join(out)


def _cite(k: Knowledge, source: str | None) -> str:
    if not source:
        return ""
    return f'<a class="source" href="#source-{_e(source)}">[{_e(source)}]</a>'


def _sources(k: Knowledge, data: Mapping[str, Any]) -> list[str]:
    seen: dict[str, None] = {}
    items = list(data["level"]["evidence"]) + list(data.get("questions") or [])
    if data.get("next_level"):
        items += data["next_level"]["gaps"]
    items += list(data.get("next_steps") or [])
    for item in items:
        if item.get("source"):
            seen.setdefault(item["source"], None)
    return list(seen)


# -- the form ---------------------------------------------------------------------------
def _error_summary(errors: Mapping[str, str]) -> str:
    out = ['<section class="card" id="errors" role="alert"><h2>Please check</h2><ul>']
    for path, message in errors.items():
        if path:
            anchor = "f-" + path.replace(".", "-")
            out.append(f'<li><a href="#{_e(anchor)}">{_e(path)}</a>: {_e(message)}</li>')
        else:
            out.append(f"<li>{_e(message)}</li>")
    out.append("</ul></section>")
    return "\n".join(out)


def _form(values: Mapping[str, str], errors: Mapping[str, str]) -> str:
    out = [
        '<form method="post" action="/" enctype="multipart/form-data" id="profile-form">',
        '<fieldset id="load"><legend>Start from a profile file</legend>',
        '<p class="desc">A pmpath profile (YAML or JSON) you saved before, or wrote for '
        "<code>pmpath recommend</code>. Loading it fills in the form below.</p>",
        '<input type="file" name="profile_file" id="profile-file" '
        'accept=".yaml,.yml,.json,application/json,text/yaml">',
        '<button type="submit" class="secondary" formaction="/load" formnovalidate '
        'id="load-button">Load it</button>',
        "</fieldset>",
    ]
    for section in sections():
        sid = "s-" + (section.name or "about")
        out.append(f'<fieldset id="{_e(sid)}"><legend>{_e(section.title)}</legend>')
        if section.description:
            out.append(f'<p class="desc">{_e(section.description)}</p>')
        for f in section.fields:
            unknown = bool(values.get(f.path + UNKNOWN))
            out.append(_field(f, values.get(f.path), errors.get(f.path), unknown))
        out.append("</fieldset>")
    out += [
        '<div class="buttons">',
        '<button type="submit" id="submit">Where do I stand?</button>',
        '<button type="submit" class="secondary" formaction="/profile.yaml" '
        'id="download">Download my profile as YAML</button>',
        "</div>",
        "</form>",
    ]
    return "\n".join(out)


def _field(f: Field, value: str | None, error: str | None, unknown: bool = False) -> str:
    anchor = f.anchor
    name = _e(f.path)
    given = value is not None and value != ""
    cls = "field has-error" if error else "field"
    desc_id = f"{anchor}-desc"
    head = (
        f'<div class="{cls}" id="{anchor}-field">'
        f'<label class="name" for="{anchor}">{_e(f.label)}'
        f"{' (needed)' if f.required else ''}</label>"
        f'<span class="desc" id="{desc_id}">{_e(f.description)}</span>'
    )
    described = f'aria-describedby="{desc_id}"'
    if f.kind == "boolean":
        radios = []
        for option, label in (("yes", "Yes"), ("no", "No"), ("", "I don't know")):
            checked = " checked" if (value or "") == option else ""
            ident = f"{anchor}-{option or 'unknown'}"
            radios.append(
                f'<label for="{ident}"><input type="radio" name="{name}" value="{option}" '
                f'id="{ident}"{checked}> {label}</label>'
            )
        body = f'<span class="choices" role="radiogroup" {described}>{"".join(radios)}</span>'
        # radios have ids of their own: the block is what a question links to
        head = head.replace(f'for="{anchor}"', f'for="{anchor}-yes"').replace(
            f'id="{anchor}-field"', f'id="{anchor}"'
        )
    elif f.kind == "choice":
        options = [f'<option value=""{"" if given else " selected"}>I don\'t know</option>']
        for choice in f.choices:
            selected = " selected" if value == choice else ""
            options.append(
                f'<option value="{_e(choice)}"{selected}>{_e(choice.replace("_", " "))}</option>'
            )
        body = f'<select name="{name}" id="{anchor}" {described}>{"".join(options)}</select>'
    elif f.kind in ("number", "integer"):
        attrs = [f'step="{"1" if f.kind == "integer" else "any"}"']
        if f.minimum is not None:
            attrs.append(f'min="{number(f.minimum)}"')
        if f.maximum is not None:
            attrs.append(f'max="{number(f.maximum)}"')
        required = " required" if f.required else ""
        shown = f' value="{_e(value)}"' if given else ""
        body = (
            f'<input type="number" inputmode="decimal" name="{name}" id="{anchor}" '
            f"{' '.join(attrs)}{shown}{required} {described}>"
        )
        if not f.required:
            ticked = " checked" if unknown else ""
            body += (
                f' <label class="dontknow" for="{anchor}-unknown"><input type="checkbox" '
                f'name="{name}{UNKNOWN}" id="{anchor}-unknown" value="1"{ticked}> '
                "I don't know</label>"
            )
    else:
        shown = f' value="{_e(value)}"' if given else ""
        body = f'<input type="text" name="{name}" id="{anchor}" maxlength="200"{shown} {described}>'
    tail = f'<span class="error" id="{anchor}-error">{_e(error)}</span>' if error else ""
    return head + body + tail + "</div>"


__all__ = ["CSP", "TITLE", "render_page"]
