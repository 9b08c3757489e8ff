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

import re
from collections.abc import Iterable
from html import escape

from .knowledgebase import PLACEHOLDER, Knowledge, Level, Step, format_number

FORMATS = ("markdown", "html")

TITLE = "The product manager career path"

#: (anchor, heading) of each top-level section, in order
SECTIONS = (
    ("ladder", "The ladder"),
    ("kwan", "Kwan's hierarchy of product needs"),
    ("rungs", "The rungs one by one"),
    ("ways-in", "Two ways in"),
    ("senior", "What sets a senior PM apart"),
    ("leader", "From senior PM to product leader"),
    ("specializations", "Kinds of product work and specializations"),
    ("skills", "Skills every PM needs"),
    ("problems", "Problems of treating every PM the same"),
    ("thresholds", "Thresholds"),
    ("catalogue", "Next-step catalogue"),
    ("sources", "Sources"),
)


#: after the metrics of a specialization whose list is pmpath's (`metrics_own`)
_OWN_METRICS = " (pmpath's own list: the article names no metrics for this PM)"


def render(knowledge: Knowledge, fmt: str = "markdown", *, version: str | None = None) -> str:
    """The guide in ``fmt`` (``markdown`` or ``html``)."""
    if fmt == "markdown":
        return render_markdown(knowledge, version=version)
    if fmt == "html":
        return render_html(knowledge, version=version)
    raise ValueError(f"unknown guide format {fmt!r}; use one of: {', '.join(FORMATS)}")


# -- shared content ----------------------------------------------------------


def _words(text: str) -> str:
    """Folded YAML text on one line, whitespace normalised."""
    return " ".join(str(text).split())


def _kwan_label(level: Level) -> str:
    return f"Kwan {level.kwan_level} · {level.kwan_name}"


def _leads_to(knowledge: Knowledge, step: Step) -> str:
    if isinstance(step.leads_to, str):
        return "whatever rung comes next"
    return ", ".join(knowledge.level_by_id[lv].title for lv in step.leads_to)


def _steps_toward(knowledge: Knowledge, level_id: str) -> list[Step]:
    return [
        s
        for s in knowledge.steps.values()
        if not isinstance(s.leads_to, str) and level_id in s.leads_to
    ]


def _threshold_uses(knowledge: Knowledge) -> dict[str, list[str]]:
    """Threshold id -> the requirement ids whose description names it."""
    uses: dict[str, list[str]] = {tid: [] for tid in knowledge.thresholds}
    data_file = knowledge.files.get("levels")
    raw = data_file.doc.data["levels"] if data_file is not None and data_file.doc else []
    for level in raw:
        for req in level["requirements"]:
            for tid in PLACEHOLDER.findall(req["description"]):
                if tid in uses and req["id"] not in uses[tid]:
                    uses[tid].append(req["id"])
    return uses


def _threshold_value(t: dict) -> str:
    return f"{format_number(t['value'])} {t['unit']}"


def _set_by(t: dict) -> str:
    return "stated by the article" if t.get("fixed_by_source") else "pmpath's choice"


def _levels_titled(knowledge: Knowledge, ids: Iterable[str]) -> str:
    return ", ".join(
        knowledge.level_by_id[i].title if i in knowledge.level_by_id else i for i in ids
    )


def _intro(knowledge: Knowledge) -> str:
    return _words(
        f"Where product managers stand and how they move up: {len(knowledge.levels)} rungs "
        f"from {knowledge.levels[0].title.lower()} to {knowledge.levels[-1].title.lower()}, "
        "what each rung asks, and the steps that lead to the next one. Every item cites "
        "the article it rests on (see Sources); the wording is pmpath's own."
    )


# -- Markdown ------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_MD_ENTITY = re.compile(r"&(?=[A-Za-z0-9#]+;)")
_MD_LINE_START = re.compile(r"^(#|[-+=]\s|\d+[.)]\s)")


def md(text: str) -> str:
    """``text`` as literal Markdown: nothing in it becomes markup."""
    out = _MD_SPECIAL.sub(r"\\\1", _words(text))
    out = _MD_ENTITY.sub("&amp;", out)
    return _MD_LINE_START.sub(r"\\\1", out)


def _md_code(ident: str) -> str:
    return f"`{ident}`"


def _md_src(source: str) -> str:
    return f"[{md(source)}](#source-{source})"


def _md_step(knowledge: Knowledge, sid: str) -> str:
    step = knowledge.steps.get(sid)
    title = md(step.title) if step else md(sid)
    return f"[{title}](#step-{sid}) ({_md_code(sid)})"


def _anchor(ident: str) -> str:
    return f'<a id="{escape(ident, quote=True)}"></a>'


def render_markdown(knowledge: Knowledge, *, version: str | None = None) -> str:
    """The guide as GitHub-flavoured Markdown."""
    k = knowledge
    out: list[str] = []
    add = out.append

    def heading(level: int, text: str, anchor: str | None = None) -> None:
        if out and out[-1] != "":
            add("")
        if anchor:
            add(_anchor(anchor))
        add("#" * level + " " + text)
        add("")

    add(f"# {TITLE}")
    add("")
    add(md(_intro(k)))
    if version:
        add("")
        add(f"Generated by `pmpath guide` from knowledge version `{version}`.")
    heading(2, "Contents")
    for anchor, title in SECTIONS:
        add(f"- [{md(title)}](#{anchor})")

    # the ladder
    heading(2, "The ladder", "ladder")
    add("Lowest rung first. A person stands on the highest rung whose requirements hold,")
    add("together with the requirements of every rung below it.")
    add("")
    add("| # | Level | id | Kwan level | Requirements |")
    add("|---|---|---|---|---|")
    for lv in k.levels:
        add(
            f"| {lv.index} | [{md(lv.title)}](#level-{lv.id}) | {_md_code(lv.id)} | "
            f"{md(_kwan_label(lv))} | {len(lv.requirements)} |"
        )

    heading(2, "Kwan's hierarchy of product needs", "kwan")
    for n in sorted(k.kwan):
        entry = k.kwan[n]
        rungs = _levels_titled(k, entry["levels"])
        note = "" if entry["in_hierarchy"] else " (pmpath's marker, not part of Kwan's hierarchy)"
        add(
            f"- {_anchor(f'kwan-{n}')}**Level {n}: {md(entry['name'])}**{note}: {md(rungs)}. "
            f"{md(entry['focus'])} {_md_src(entry['source'])}"
        )

    # each rung
    heading(2, "The rungs one by one", "rungs")
    for lv in k.levels:
        heading(3, f"{lv.index}. {md(lv.title)} ({_md_code(lv.id)})", f"level-{lv.id}")
        add(f"*{md(_kwan_label(lv))}*")
        add("")
        add(md(lv.summary))
        add("")
        add("**Responsibilities**")
        add("")
        for item in lv.responsibilities:
            add(f"- {md(item['text'])} {_md_src(item['source'])}")
        add("")
        add("**Requirements**")
        add("")
        if not lv.requirements:
            add("- None: everyone starts on this rung.")
        for req in lv.requirements:
            add(
                f"- {_anchor('req-' + req.id)}{_md_code(req.id)}: {md(req.description)} "
                f"{_md_src(req.source)}"
            )
        nxt = k.next_level(lv.id)
        if nxt is None:
            add("")
            add("The top of the ladder.")
            continue
        add("")
        add(f"**To reach [{md(nxt.title)}](#level-{nxt.id})**")
        add("")
        for item in lv.to_next:
            add(f"- {md(item['text'])} {_md_src(item['source'])}")
        toward = _steps_toward(k, nxt.id)
        if toward:
            add("")
            add(
                f"Catalogue steps toward {md(nxt.title)}: "
                + ", ".join(_md_step(k, s.id) for s in toward)
                + "."
            )

    # ways in
    heading(2, "Two ways in", "ways-in")
    add(f"For people not yet in product ({_md_code(k.levels[0].id)}).")
    for pid, path in k.entry_paths.items():
        heading(3, f"{md(path['title'])} ({_md_code(pid)})", f"path-{pid}")
        add(f"{md(path['description'])} {_md_src(path['source'])}")
        add("")
        add(f"*Needs:* {md(path['needs'])}")
        add("")
        for st in path["steps"]:
            step = k.steps[st["step"]]
            add(f"{st['order']}. **{_md_step(k, step.id)}**: {md(step.description)}")

    # senior differentiators
    heading(2, "What sets a senior PM apart", "senior")
    for d in k.senior_differentiators:
        heading(3, f"{md(d['title'])} ({_md_code(d['id'])})", f"diff-{d['id']}")
        add(f"{md(d['description'])} {_md_src(d['source'])}")
        if d.get("parts"):
            add("")
            for i, part in enumerate(d["parts"], 1):
                add(
                    f"{i}. **{md(part['title'])}** ({_md_code(part['id'])}): "
                    f"{md(part['description'])}"
                )
        if d.get("note"):
            add("")
            add(md(d["note"]))
        add("")
        add(f"Step: {_md_step(k, d['step'])}.")

    # leadership shifts
    heading(2, "From senior PM to product leader", "leader")
    add(f"The {len(k.leadership_shifts)} shifts the move to product leadership asks for.")
    for i, s in enumerate(k.leadership_shifts, 1):
        heading(
            3, f"{i}. {md(s['from'])} → {md(s['to'])} ({_md_code(s['id'])})", f"shift-{s['id']}"
        )
        add(f"{md(s['description'])} {_md_src(s['source'])}")
        add("")
        add(f"Step: {_md_step(k, s['step'])}.")

    # specializations
    heading(2, "Kinds of product work and specializations", "specializations")
    add("| Kind of work | id | Specialization | What it is | Source |")
    add("|---|---|---|---|---|")
    for wid, w in k.work_types.items():
        spec = k.specializations.get(w["specialization"], {})
        add(
            f"| {_anchor('work-' + wid)}{md(w['title'])} | {_md_code(wid)} | "
            f"[{md(spec.get('title', w['specialization']))}](#spec-{w['specialization']}) | "
            f"{md(w['description'])} | {_md_src(w['source'])} |"
        )
    add("")
    add(
        "When two kinds of work have the same number of years, the one listed first wins: "
        + ", ".join(_md_code(w) for w in k.tie_break)
        + "."
    )
    for sid, s in k.specializations.items():
        work = k.work_types.get(s["work_type"], {})
        heading(
            3,
            f"{md(s['title'])} ({_md_code(sid)}), from {md(work.get('title', s['work_type']))}",
            f"spec-{sid}",
        )
        add(f"*Focus:* {md(s['focus'])} {_md_src(s['source'])}")
        add("")
        own = _OWN_METRICS
        add(
            "*Metrics:* "
            + ", ".join(md(m) for m in s["metrics"])
            + "."
            + (md(own) if s.get("metrics_own") else "")
        )
        add("")
        add("*Signals:*")
        add("")
        for sig in s["signals"]:
            add(f"- {md(sig)}")
    heading(3, "Shapes", "shapes")
    for shid, sh in k.shapes.items():
        add(
            f"- {_anchor('shape-' + shid)}**{md(sh['title'])}** ({_md_code(shid)}): "
            f"{md(sh['description'])} {_md_src(sh['source'])}"
        )

    # skills
    heading(2, f"The {len(k.skills)} skills every PM needs", "skills")
    for sk in k.skills:
        add(
            f"- {_anchor('skill-' + sk['id'])}**{md(sk['title'])}** ({_md_code(sk['id'])}): "
            f"{md(sk['description'])} Rated as {_md_code(sk['profile_field'])}; "
            f"a low rating suggests {_md_step(k, sk['step'])}. {_md_src(sk['source'])}"
        )

    # problems
    heading(2, f"{len(k.problems)} problems of treating every PM the same", "problems")
    for p in k.problems:
        add(
            f"- {_anchor('problem-' + p['id'])}**{md(p['title'])}** ({_md_code(p['id'])}): "
            f"{md(p['description'])} *Advice:* {md(p['advice'])} {_md_src(p['source'])}"
        )

    # thresholds
    heading(2, "Thresholds", "thresholds")
    add("Numbers the articles fix or leave open, as pmpath uses them.")
    uses = _threshold_uses(k)
    for tid, t in k.thresholds.items():
        used = ", ".join(f"[{_md_code(r)}](#req-{r})" for r in uses.get(tid, []))
        add(
            f"- {_anchor('threshold-' + tid)}{_md_code(tid)}: **{md(_threshold_value(t))}** "
            f"({md(_set_by(t))}{'; used in ' + used if used else ''}). "
            f"{md(t['rationale'])} {_md_src(t['source'])}"
        )

    # catalogue
    heading(2, "Next-step catalogue", "catalogue")
    add(f"{len(k.steps)} steps, in catalogue order.")
    add("")
    for step in k.steps.values():
        added = " *(added by pmpath)*" if step.added else ""
        add(
            f"- {_anchor('step-' + step.id)}**{md(step.title)}** ({_md_code(step.id)}){added}: "
            f"{md(step.description)} Leads to: {md(_leads_to(k, step))}. {_md_src(step.source)}"
        )

    # sources
    heading(2, "Sources", "sources")
    for sid, s in k.sources.items():
        add(
            f"- {_anchor('source-' + sid)}{_md_code(sid)}: *{md(s['title'])}*, by "
            f"{md(', '.join(s['authors']))}. {md(s['covers'])}"
        )
    add("")
    return "\n".join(out)


# -- HTML ------------------------------------------------------------------------


def h(text: str) -> str:
    """``text`` escaped for HTML content or a quoted attribute."""
    return escape(_words(text), quote=True)


def _h_code(ident: str) -> str:
    return f"<code>{h(ident)}</code>"


def _h_src(source: str) -> str:
    return f'<a class="src" href="#source-{h(source)}">{h(source)}</a>'


def _h_step(knowledge: Knowledge, sid: str) -> str:
    step = knowledge.steps.get(sid)
    title = step.title if step else sid
    return f'<a href="#step-{h(sid)}">{h(title)}</a> {_h_code(sid)}'


_CSS = """
:root { --ink: #1f2933; --muted: #52606d; --line: #d9e2ec; --accent: #2f5d8a; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header, nav, main, footer { max-width: 52rem; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 2rem; }
h1 { font-size: 2rem; margin: 0 0 .5rem; }
h2 { font-size: 1.5rem; margin: 2.5rem 0 .75rem; padding-bottom: .25rem;
  border-bottom: 2px solid var(--line); }
h3 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; }
h4 { font-size: 1rem; margin: 1rem 0 .25rem; color: var(--muted); }
a { color: var(--accent); }
a.src { font-size: .8em; white-space: nowrap; color: var(--muted); }
a.src::before { content: "["; } a.src::after { content: "]"; }
code { font: .85em/1 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  background: #f0f4f8; padding: .1em .3em; border-radius: 3px; }
.lede { color: var(--muted); font-size: 1.05rem; }
.meta { color: var(--muted); font-size: .9rem; }
nav ol { columns: 2; padding-left: 1.25rem; }
table { border-collapse: collapse; width: 100%; margin: .75rem 0; font-size: .95rem; }
th, td { border: 1px solid var(--line); padding: .4rem .55rem; text-align: left;
  vertical-align: top; }
th { background: #f5f7fa; }
figure { margin: 1rem 0; }
figure svg { width: 100%; height: auto; max-width: 44rem; display: block; }
figcaption { color: var(--muted); font-size: .9rem; }
.rung { border-left: 4px solid var(--line); padding-left: 1rem; margin: 1.5rem 0; }
.kwan-0 { border-color: #9aa5b1; } .kwan-1 { border-color: #4a90c2; }
.kwan-2 { border-color: #4caf7a; } .kwan-3 { border-color: #e39b3c; }
.kwan-4 { border-color: #9c6ad0; }
.badge { display: inline-block; font-size: .8rem; padding: .05rem .5rem; border-radius: 1rem;
  background: #f0f4f8; color: var(--muted); }
.added { font-size: .8rem; color: var(--muted); font-style: italic; }
dl.thresholds dt { margin-top: .75rem; }
dl.thresholds dd { margin-left: 1.25rem; }
footer { margin-top: 3rem; padding-bottom: 2rem; color: var(--muted); font-size: .9rem;
  border-top: 1px solid var(--line); }
@media print { nav { display: none; } a { color: inherit; text-decoration: none; }
  .rung, table, figure { break-inside: avoid; } }
"""

#: fill of each Kwan band in the ladder diagram (cycled if there were more levels)
_BAND_FILLS = ("#eef1f4", "#e3f0fb", "#e4f5ea", "#fdf0dd", "#f1e8fa")
_BAND_STROKES = ("#9aa5b1", "#4a90c2", "#4caf7a", "#e39b3c", "#9c6ad0")


def ladder_svg(knowledge: Knowledge) -> str:
    """The ladder as an inline SVG diagram: one rung per level, Kwan levels as bands."""
    k = knowledge
    levels = k.levels
    rung_h, rung_gap, top, bottom = 44, 14, 56, 24
    step_y = rung_h + rung_gap
    width = 760
    height = top + len(levels) * step_y - rung_gap + bottom
    band_x = 16
    rung_x, rung_w = 268, 400
    rail_left, rail_right = rung_x + 36, rung_x + rung_w - 36

    def y_of(index: int) -> int:  # lowest rung at the bottom
        return top + (len(levels) - 1 - index) * step_y

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        'aria-labelledby="ladder-svg-title ladder-svg-desc" font-family="system-ui, sans-serif">',
        '<title id="ladder-svg-title">The product manager ladder</title>',
        '<desc id="ladder-svg-desc">'
        + h(
            "Rungs from "
            + levels[0].title
            + " at the bottom to "
            + levels[-1].title
            + " at the top, grouped into Kwan levels: "
            + "; ".join(f"{lv.title}: {_kwan_label(lv)}" for lv in levels)
        )
        + "</desc>",
        f'<text x="{band_x}" y="28" font-size="14" font-weight="600" fill="#52606d">'
        "Kwan level</text>",
        f'<text x="{rung_x}" y="28" font-size="14" font-weight="600" fill="#52606d">'
        "Rung (lowest at the bottom)</text>",
    ]
    # Kwan bands: one per run of consecutive rungs at the same Kwan level
    runs: list[list[Level]] = []
    for lv in levels:
        if runs and runs[-1][-1].kwan_level == lv.kwan_level:
            runs[-1].append(lv)
        else:
            runs.append([lv])
    for run in runs:
        n = run[0].kwan_level
        fill = _BAND_FILLS[n % len(_BAND_FILLS)]
        stroke = _BAND_STROKES[n % len(_BAND_STROKES)]
        y0 = y_of(run[-1].index) - rung_gap // 2
        y1 = y_of(run[0].index) + rung_h + rung_gap // 2
        entry = k.kwan.get(n, {})
        parts.append(
            f'<g class="kwan-band"><rect x="{band_x}" y="{y0}" width="{width - 2 * band_x}" '
            f'height="{y1 - y0}" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="1"/>'
        )
        mid = (y0 + y1) // 2
        parts.append(
            f'<text x="{band_x + 14}" y="{mid - 4}" font-size="15" font-weight="700" '
            f'fill="#1f2933">Kwan {n}</text>'
        )
        label = run[0].kwan_name or "?"
        if entry and not entry.get("in_hierarchy", True):
            label += " (not yet in product)"
        parts.append(
            f'<text x="{band_x + 14}" y="{mid + 14}" font-size="13" fill="#3e4c59">'
            f"{h(label)}</text></g>"
        )
    # rails behind the rungs
    rail_top, rail_bottom = y_of(len(levels) - 1) - 10, y_of(0) + rung_h + 10
    for x in (rail_left, rail_right):
        parts.append(
            f'<line x1="{x}" y1="{rail_top}" x2="{x}" y2="{rail_bottom}" '
            'stroke="#7b8794" stroke-width="6" stroke-linecap="round"/>'
        )
    # rungs
    for lv in levels:
        y = y_of(lv.index)
        n = len(lv.requirements)
        reqs = "no requirements" if n == 0 else f"{n} requirement{'s' * (n != 1)}"
        parts.append(
            f'<a href="#level-{h(lv.id)}"><g class="rung">'
            f"<title>{h(lv.title)}: {h(_kwan_label(lv))}; {reqs}</title>"
            f'<rect x="{rung_x}" y="{y}" width="{rung_w}" height="{rung_h}" rx="6" '
            'fill="#ffffff" stroke="#3e4c59" stroke-width="1.5"/>'
            f'<text x="{rung_x + rung_w // 2}" y="{y + 19}" font-size="15" font-weight="600" '
            f'text-anchor="middle" fill="#1f2933">{h(lv.title)}</text>'
            f'<text x="{rung_x + rung_w // 2}" y="{y + 36}" font-size="12" '
            f'text-anchor="middle" fill="#52606d">{h(lv.id)} · {reqs}</text>'
            "</g></a>"
        )
    # an arrow: higher rungs carry riskier decisions (Kwan)
    ax = rung_x + rung_w + 40
    parts.append(
        f'<line x1="{ax}" y1="{rail_bottom}" x2="{ax}" y2="{rail_top + 12}" '
        'stroke="#52606d" stroke-width="2"/>'
        f'<polygon points="{ax - 6},{rail_top + 14} {ax + 6},{rail_top + 14} {ax},{rail_top}" '
        'fill="#52606d"/>'
        f'<text x="{ax + 12}" y="{(rail_top + rail_bottom) // 2}" font-size="12" fill="#52606d" '
        f'transform="rotate(-90 {ax + 12} {(rail_top + rail_bottom) // 2})" '
        'text-anchor="middle">more risk per decision</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def render_html(knowledge: Knowledge, *, version: str | None = None) -> str:
    """The guide as one standalone HTML file (inline CSS and SVG, no scripts)."""
    k = knowledge
    out: list[str] = []
    add = out.append

    add("<!DOCTYPE html>")
    add('<html lang="en">')
    add("<head>")
    add('<meta charset="utf-8">')
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add(f"<title>{h(TITLE)}: a pmpath guide</title>")
    add("<style>" + _CSS + "</style>")
    add("</head>")
    add("<body>")
    add("<header>")
    add(f"<h1>{h(TITLE)}</h1>")
    add(f'<p class="lede">{h(_intro(k))}</p>')
    if version:
        add(
            f'<p class="meta">Generated by <code>pmpath guide</code> from knowledge version '
            f"<code>{h(version)}</code>.</p>"
        )
    add("</header>")
    add('<nav aria-label="Contents"><h2>Contents</h2><ol>')
    for anchor, title in SECTIONS:
        add(f'<li><a href="#{anchor}">{h(title)}</a></li>')
    add("</ol></nav>")
    add("<main>")

    # the ladder
    add('<section id="ladder">')
    add("<h2>The ladder</h2>")
    add(
        "<p>A person stands on the highest rung whose requirements hold, together with the "
        "requirements of every rung below it.</p>"
    )
    add("<figure>")
    add(ladder_svg(k))
    add(
        "<figcaption>The rungs, lowest at the bottom, on bands for Kwan's levels. "
        "Select a rung to read about it.</figcaption>"
    )
    add("</figure>")
    add("<table><thead><tr><th>#</th><th>Level</th><th>id</th><th>Kwan level</th>")
    add("<th>Requirements</th></tr></thead><tbody>")
    for lv in k.levels:
        add(
            f'<tr><td>{lv.index}</td><td><a href="#level-{h(lv.id)}">{h(lv.title)}</a></td>'
            f"<td>{_h_code(lv.id)}</td><td>{h(_kwan_label(lv))}</td>"
            f"<td>{len(lv.requirements)}</td></tr>"
        )
    add("</tbody></table>")
    add("</section>")

    add('<section id="kwan">')
    add("<h2>Kwan's hierarchy of product needs</h2>")
    add("<table><thead><tr><th>Kwan level</th><th>Rungs</th><th>Focus</th></tr></thead><tbody>")
    for n in sorted(k.kwan):
        entry = k.kwan[n]
        note = "" if entry["in_hierarchy"] else "<br><small>pmpath's marker, not Kwan's</small>"
        rungs = ", ".join(
            f'<a href="#level-{h(lv)}">{h(k.level_by_id[lv].title)}</a>'
            if lv in k.level_by_id
            else h(lv)
            for lv in entry["levels"]
        )
        add(
            f'<tr id="kwan-{n}"><td><strong>{n}: {h(entry["name"])}</strong>{note}</td>'
            f"<td>{rungs}</td><td>{h(entry['focus'])} {_h_src(entry['source'])}</td></tr>"
        )
    add("</tbody></table>")
    add("</section>")

    # each rung
    add('<section id="rungs">')
    add("<h2>The rungs one by one</h2>")
    for lv in k.levels:
        add(f'<article class="rung kwan-{lv.kwan_level}" id="level-{h(lv.id)}">')
        add(f"<h3>{lv.index}. {h(lv.title)} {_h_code(lv.id)}</h3>")
        add(f'<p><span class="badge">{h(_kwan_label(lv))}</span></p>')
        add(f"<p>{h(lv.summary)}</p>")
        add("<h4>Responsibilities</h4><ul>")
        for item in lv.responsibilities:
            add(f"<li>{h(item['text'])} {_h_src(item['source'])}</li>")
        add("</ul>")
        add("<h4>Requirements</h4><ul>")
        if not lv.requirements:
            add("<li>None: everyone starts on this rung.</li>")
        for req in lv.requirements:
            add(
                f'<li id="req-{h(req.id)}">{_h_code(req.id)} {h(req.description)} '
                f"{_h_src(req.source)}</li>"
            )
        add("</ul>")
        nxt = k.next_level(lv.id)
        if nxt is None:
            add("<p>The top of the ladder.</p>")
        else:
            add(f'<h4>To reach <a href="#level-{h(nxt.id)}">{h(nxt.title)}</a></h4><ul>')
            for item in lv.to_next:
                add(f"<li>{h(item['text'])} {_h_src(item['source'])}</li>")
            add("</ul>")
            toward = _steps_toward(k, nxt.id)
            if toward:
                add(
                    f"<p>Catalogue steps toward {h(nxt.title)}: "
                    + ", ".join(_h_step(k, s.id) for s in toward)
                    + ".</p>"
                )
        add("</article>")
    add("</section>")

    # ways in
    add('<section id="ways-in">')
    add("<h2>Two ways in</h2>")
    add(f"<p>For people not yet in product ({_h_code(k.levels[0].id)}).</p>")
    for pid, path in k.entry_paths.items():
        add(f'<h3 id="path-{h(pid)}">{h(path["title"])} {_h_code(pid)}</h3>')
        add(f"<p>{h(path['description'])} {_h_src(path['source'])}</p>")
        add(f"<p><em>Needs:</em> {h(path['needs'])}</p>")
        add("<ol>")
        for st in path["steps"]:
            step = k.steps[st["step"]]
            add(
                f'<li value="{int(st["order"])}"><strong>{_h_step(k, step.id)}</strong>: '
                f"{h(step.description)}</li>"
            )
        add("</ol>")
    add("</section>")

    # senior differentiators
    add('<section id="senior">')
    add("<h2>What sets a senior PM apart</h2>")
    for d in k.senior_differentiators:
        add(f'<h3 id="diff-{h(d["id"])}">{h(d["title"])} {_h_code(d["id"])}</h3>')
        add(f"<p>{h(d['description'])} {_h_src(d['source'])}</p>")
        if d.get("parts"):
            add("<ol>")
            for part in d["parts"]:
                add(
                    f"<li><strong>{h(part['title'])}</strong> {_h_code(part['id'])}: "
                    f"{h(part['description'])}</li>"
                )
            add("</ol>")
        if d.get("note"):
            add(f"<p>{h(d['note'])}</p>")
        add(f"<p>Step: {_h_step(k, d['step'])}.</p>")
    add("</section>")

    # leadership shifts
    add('<section id="leader">')
    add("<h2>From senior PM to product leader</h2>")
    add(f"<p>The {len(k.leadership_shifts)} shifts the move to product leadership asks for.</p>")
    add("<table><thead><tr><th>From</th><th>To</th><th>What changes</th><th>Step</th></tr>")
    add("</thead><tbody>")
    for s in k.leadership_shifts:
        add(
            f'<tr id="shift-{h(s["id"])}"><td>{h(s["from"])}<br>{_h_code(s["id"])}</td>'
            f"<td>{h(s['to'])}</td><td>{h(s['description'])} {_h_src(s['source'])}</td>"
            f"<td>{_h_step(k, s['step'])}</td></tr>"
        )
    add("</tbody></table>")
    add("</section>")

    # specializations
    add('<section id="specializations">')
    add("<h2>Kinds of product work and specializations</h2>")
    add("<table><thead><tr><th>Kind of work</th><th>Specialization</th><th>What it is</th>")
    add("</tr></thead><tbody>")
    for wid, w in k.work_types.items():
        spec = k.specializations.get(w["specialization"], {})
        add(
            f'<tr id="work-{h(wid)}"><td>{h(w["title"])}<br>{_h_code(wid)}</td>'
            f'<td><a href="#spec-{h(w["specialization"])}">'
            f"{h(spec.get('title', w['specialization']))}</a></td>"
            f"<td>{h(w['description'])} {_h_src(w['source'])}</td></tr>"
        )
    add("</tbody></table>")
    add(
        "<p>When two kinds of work have the same number of years, the one listed first wins: "
        + ", ".join(_h_code(w) for w in k.tie_break)
        + ".</p>"
    )
    for sid, s in k.specializations.items():
        work = k.work_types.get(s["work_type"], {})
        add(
            f'<h3 id="spec-{h(sid)}">{h(s["title"])} {_h_code(sid)}, from '
            f"{h(work.get('title', s['work_type']))}</h3>"
        )
        add(f"<p><em>Focus:</em> {h(s['focus'])} {_h_src(s['source'])}</p>")
        own = _OWN_METRICS
        add(
            "<p><em>Metrics:</em> "
            + ", ".join(h(m) for m in s["metrics"])
            + "."
            + (h(own) if s.get("metrics_own") else "")
            + "</p>"
        )
        add("<p><em>Signals:</em></p><ul>")
        for sig in s["signals"]:
            add(f"<li>{h(sig)}</li>")
        add("</ul>")
    add('<h3 id="shapes">Shapes</h3><ul>')
    for shid, sh in k.shapes.items():
        add(
            f'<li id="shape-{h(shid)}"><strong>{h(sh["title"])}</strong> {_h_code(shid)}: '
            f"{h(sh['description'])} {_h_src(sh['source'])}</li>"
        )
    add("</ul>")
    add("</section>")

    # skills
    add('<section id="skills">')
    add(f"<h2>The {len(k.skills)} skills every PM needs</h2>")
    add("<ul>")
    for sk in k.skills:
        add(
            f'<li id="skill-{h(sk["id"])}"><strong>{h(sk["title"])}</strong> '
            f"{_h_code(sk['id'])}: {h(sk['description'])} Rated as "
            f"{_h_code(sk['profile_field'])}; a low rating suggests {_h_step(k, sk['step'])}. "
            f"{_h_src(sk['source'])}</li>"
        )
    add("</ul>")
    add("</section>")

    # problems
    add('<section id="problems">')
    add(f"<h2>{len(k.problems)} problems of treating every PM the same</h2>")
    add("<ul>")
    for p in k.problems:
        add(
            f'<li id="problem-{h(p["id"])}"><strong>{h(p["title"])}</strong> '
            f"{_h_code(p['id'])}: {h(p['description'])} <em>Advice:</em> {h(p['advice'])} "
            f"{_h_src(p['source'])}</li>"
        )
    add("</ul>")
    add("</section>")

    # thresholds
    add('<section id="thresholds">')
    add("<h2>Thresholds</h2>")
    add("<p>Numbers the articles fix or leave open, as pmpath uses them.</p>")
    add('<dl class="thresholds">')
    uses = _threshold_uses(k)
    for tid, t in k.thresholds.items():
        used = ", ".join(f'<a href="#req-{h(r)}">{_h_code(r)}</a>' for r in uses.get(tid, []))
        add(
            f'<dt id="threshold-{h(tid)}">{_h_code(tid)}: '
            f"<strong>{h(_threshold_value(t))}</strong> "
            f'<span class="badge">{h(_set_by(t))}</span></dt>'
        )
        add(
            f"<dd>{h(t['rationale'])} {_h_src(t['source'])}"
            + (f"<br><small>Used in {used}.</small>" if used else "")
            + "</dd>"
        )
    add("</dl>")
    add("</section>")

    # catalogue
    add('<section id="catalogue">')
    add("<h2>Next-step catalogue</h2>")
    add(f"<p>{len(k.steps)} steps, in catalogue order.</p>")
    add("<table><thead><tr><th>Step</th><th>What to do</th><th>Leads to</th></tr></thead>")
    add("<tbody>")
    for step in k.steps.values():
        added = ' <span class="added">added by pmpath</span>' if step.added else ""
        add(
            f'<tr id="step-{h(step.id)}"><td><strong>{h(step.title)}</strong><br>'
            f"{_h_code(step.id)}{added}</td><td>{h(step.description)} {_h_src(step.source)}</td>"
            f"<td>{h(_leads_to(k, step))}</td></tr>"
        )
    add("</tbody></table>")
    add("</section>")

    # sources
    add('<section id="sources">')
    add("<h2>Sources</h2>")
    add("<ul>")
    for sid, s in k.sources.items():
        add(
            f'<li id="source-{h(sid)}">{_h_code(sid)}: <cite>{h(s["title"])}</cite>, by '
            f"{h(', '.join(s['authors']))}. {h(s['covers'])}</li>"
        )
    add("</ul>")
    add("</section>")
    add("</main>")
    add(
        "<footer><p>Made by <code>pmpath guide</code> from pmpath's knowledge files. "
        "The wording is pmpath's own; each item names the article it rests on.</p></footer>"
    )
    add("</body>")
    add("</html>")
    add("")
    return "\n".join(out)
