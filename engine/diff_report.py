"""The ``pmpath diff`` report as Markdown (for a pull request) or one standalone HTML
file (inline CSS and SVG, no external reference). Both are pure functions of the
JSON document (`pmpath.diff.DiffReport.to_dict`), so every format says the same.

Everything that comes from the pool (record ids) or from the knowledge (ids,
values) is escaped: Markdown shows it literally, HTML as text, and control
characters are shown as ``\\x1b``-style escapes, never passed through.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from .guide import md
from .words import visible


def _visible(text: Any) -> str:
    return visible(text).replace("\t", "\\t")


def _m(text: Any) -> str:
    """Literal Markdown text."""
    return md(_visible(text)).replace("|", "\\|")


def _c(text: Any) -> str:
    """A Markdown code span (an id or value), safe whatever it holds."""
    s = _visible(text).replace("|", "\\|")
    fence = "``" if "`" in s else "`"
    return f"{fence} {s} {fence}" if "`" in s else f"`{s}`"


def _pct(share: float) -> str:
    return f"{100 * share:.1f}%"


def _value(v: Any) -> str:
    return "—" if v is None else str(v)


def _field_change(f: dict) -> str:
    if "from" in f:
        return f"{f['field']}: {json.dumps(f['from'])} → {json.dumps(f['to'])}"
    return f"{f['field']} {f['change']}"


def _assessed(rows: list[dict]) -> list[dict]:
    """Requirement rows worth examples: met <-> unmet. A row to or from not_assessed
    follows a level move, whose examples the level section already shows."""
    return [r for r in rows if "not_assessed" not in (r["from"], r["to"])]


def _shown_examples(dim: str, t: dict) -> list[dict]:
    """The next rung follows the level: its examples would repeat the level's."""
    return [] if dim == "next_level" else t["examples"]


# -- Markdown ------------------------------------------------------------------------


def to_markdown(doc: dict) -> str:
    out: list[str] = []
    add = out.append
    base, new = doc["base"]["knowledge_version"], doc["new"]["knowledge_version"]
    pool, summary = doc["pool"], doc["summary"]
    add("# pmpath diff")
    add("")
    add(f"- base knowledge `{base[:12]}`, new knowledge `{new[:12]}`")
    errors = sum(e["count"] for e in pool["errors"])
    add(
        f"- pool: {pool['records']:,} records, {pool['scored']:,} scored on both sides, "
        f"{errors:,} error record{'s' * (errors != 1)}"
    )
    if doc["identical"]:
        add("- the knowledge and rules are identical: nothing can differ")
    add("")
    add("## What changed in the knowledge and rules")
    add("")
    if not doc["files"]:
        add("No file changed.")
    else:
        for f in doc["files"]:
            add(f"- {_c(f['file'])}: {f['change']}")
        if doc["changes"]:
            add("")
            add("| item | id | change | fields | source |")
            add("|---|---|---|---|---|")
            for ch in doc["changes"]:
                fields = "; ".join(_field_change(f) for f in ch["fields"]) or "—"
                add(
                    f"| {ch['kind']} | {_c(ch['id'])} | {ch['change']} | {_m(fields)} | "
                    f"{_value(ch['source'])} |"
                )
    add("")
    add("## Summary")
    add("")
    add(
        f"{summary['profiles_changed']:,} of {pool['scored']:,} profiles "
        f"({_pct(summary['profiles_changed_share'])}) change in some way: "
        f"{summary['level_changed']:,} change level ({summary['up']:,} up, "
        f"{summary['down']:,} down), {summary['requirements_changed']:,} change a "
        f"requirement's outcome ({summary['requirements_changed_level_kept']:,} of them "
        f"keeping their level), {summary['steps_changed']:,} change their next steps "
        f"({summary['first_step_changed']:,} their first step)."
    )
    quiet = [d for d, t in doc["transitions"].items() if d != "level" and not t["changed"]]
    for dim, t in doc["transitions"].items():
        if dim in quiet:
            continue
        add("")
        title = dim.replace("_", " ")
        add(f"## {title.capitalize()} transitions")
        add("")
        moved = f"{t['changed']:,} changed ({_pct(t['changed_share'])})"
        if dim == "level":
            moved += f": {t['up']:,} up, {t['down']:,} down"
        add(moved + ".")
        add("")
        add(_md_matrix(t))
        for group in _shown_examples(dim, t):
            add("")
            add(f"Examples, {_c(_value(group['from']))} → {_c(_value(group['to']))}:")
            for ex in group["examples"]:
                add(f"- {_m(ex['id'])}: {_m(ex['before'])} → {_m(ex['after'])}")
    if quiet:
        add("")
        add("No change in " + ", ".join(d.replace("_", " ") for d in quiet) + ".")
    add("")
    add("## Requirements whose outcome changed")
    add("")
    if not doc["requirements"]:
        add("None.")
    else:
        add("| requirement | from | to | profiles | share |")
        add("|---|---|---|---:|---:|")
        for r in doc["requirements"]:
            add(
                f"| {_c(r['requirement'])} | {r['from']} | {r['to']} | {r['count']:,} | "
                f"{_pct(r['share'])} |"
            )
        for r in _assessed(doc["requirements"]):
            add("")
            add(f"Examples, {_c(r['requirement'])} {r['from']} → {r['to']}:")
            for ex in r.get("examples", ()):
                add(f"- {_m(ex['id'])}: {_m(ex['before'])} → {_m(ex['after'])}")
    if doc["still_blocked"]:
        add("")
        add(
            f"### What still blocks the {summary['requirements_changed_level_kept']:,} "
            "profiles whose requirements changed but level did not"
        )
        add("")
        add("| unmet requirement of the next rung | profiles |")
        add("|---|---:|")
        for b in doc["still_blocked"]:
            add(f"| {_c(b['requirement'])} | {b['count']:,} |")
    add("")
    add("## Rules whose outcome changed")
    add("")
    if not doc["rules"]:
        add("None.")
    else:
        add("| rule | from | to | profiles |")
        add("|---|---|---|---:|")
        for r in doc["rules"]:
            add(f"| {_c(r['rule'])} | {r['from']} | {r['to']} | {r['count']:,} |")
    steps = doc["steps"]
    add("")
    add("## Next steps")
    add("")
    add(
        f"{steps['changed']:,} profiles change their steps; "
        f"{steps['first_step_changed']:,} their first step."
    )
    if steps["first_step"]:
        add("")
        add("| first step before | first step after | profiles |")
        add("|---|---|---:|")
        for r in steps["first_step"]:
            add(f"| {_c(_value(r['from']))} | {_c(_value(r['to']))} | {r['count']:,} |")
    for key, title in (("added", "Steps added"), ("removed", "Steps removed")):
        if steps[key]:
            add("")
            add(f"{title}: " + ", ".join(f"{_c(s['step'])} ({s['count']:,})" for s in steps[key]))
    fit = doc["fit"]
    if fit is not None:
        add("")
        spec = f" ({fit['specialization']})" if fit["specialization"] else ""
        add(f"## Fit for {_c(fit['role'])}{_m(spec)}")
        add("")
        rho = fit["rank_correlation"]
        add(
            f"{fit['changed']:,} scores change. Shortlist at {fit['shortlist_score']}: "
            f"{fit['shortlist_gained']:,} gained, {fit['shortlist_lost']:,} lost. "
            f"Rank correlation (Spearman) {'—' if rho is None else f'{rho:.4f}'}."
        )
        add("")
        add("| score | base | new |")
        add("|---|---:|---:|")
        h = fit["histogram"]
        for label, a, b in zip(h["bins"], h["base"], h["new"], strict=True):
            add(f"| {label} | {a:,} | {b:,} |")
        for key, title in (("gained_examples", "Gained"), ("lost_examples", "Lost")):
            if fit[key]:
                add("")
                add(f"{title}, for example:")
                for ex in fit[key]:
                    add(f"- {_m(ex['id'])}: {_m(ex['before'])} → {_m(ex['after'])}")
    if doc["error_examples"]:
        add("")
        add("## Records that fail on one side only")
        for group in doc["error_examples"]:
            add("")
            add(f"Failing on the {group['side']} side:")
            for ex in group["examples"]:
                add(f"- {_m(ex['id'])}: {ex['code']}")
    return "\n".join(out) + "\n"


def _md_matrix(t: dict) -> str:
    values = t["values"]
    counts = {(c["from"], c["to"]): c["count"] for c in t["cells"]}
    lines = [
        "| from \\ to | " + " | ".join(_c(_value(v)) for v in values) + " |",
        "|---|" + "---:|" * len(values),
    ]
    for a in values:
        row = [f"{counts[(a, b)]:,}" if (a, b) in counts else "" for b in values]
        lines.append(f"| {_c(_value(a))} | " + " | ".join(row) + " |")
    return "\n".join(lines)


# -- HTML ----------------------------------------------------------------------------

_CSS = """
:root { --ink: #1f2933; --muted: #52606d; --line: #d9e2ec; --accent: #2f5d8a; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 1.5rem 1.25rem; color: var(--ink);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 1.8rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid var(--line); }
table { border-collapse: collapse; margin: .75rem 0; font-size: .92rem; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
code { font: .85em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  background: #f0f4f8; padding: .05em .3em; border-radius: 3px; }
figure { margin: 1rem 0; } figure svg { max-width: 100%; height: auto; }
figcaption, .meta { color: var(--muted); font-size: .9rem; }
"""


def _h(text: Any) -> str:
    return escape(_visible(text), quote=True)


def _hc(text: Any) -> str:
    return f"<code>{_h(text)}</code>"


def to_html(doc: dict) -> str:
    parts: list[str] = []
    add = parts.append
    pool, summary = doc["pool"], doc["summary"]
    add('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">')
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add("<title>pmpath diff</title>\n<style>" + _CSS + "</style>\n</head>\n<body>")
    add("<h1>pmpath diff</h1>")
    errors = sum(e["count"] for e in pool["errors"])
    add(
        f'<p class="meta">base knowledge {_hc(doc["base"]["knowledge_version"][:12])}, '
        f"new knowledge {_hc(doc['new']['knowledge_version'][:12])}; "
        f"{pool['records']:,} records, {pool['scored']:,} scored on both sides, "
        f"{errors:,} error record{'s' * (errors != 1)}</p>"
    )
    add("<h2>What changed in the knowledge and rules</h2>")
    if not doc["files"]:
        add("<p>No file changed.</p>")
    else:
        add("<ul>" + "".join(f"<li>{_hc(f['file'])}: {_h(f['change'])}</li>" for f in doc["files"]))
        add("</ul>")
        if doc["changes"]:
            rows = [
                [
                    _h(ch["kind"]),
                    _hc(ch["id"]),
                    _h(ch["change"]),
                    _h("; ".join(_field_change(f) for f in ch["fields"]) or "—"),
                    _h(_value(ch["source"])),
                ]
                for ch in doc["changes"]
            ]
            add(_table(["item", "id", "change", "fields", "source"], rows))
    add("<h2>Summary</h2>")
    add(
        f"<p>{summary['profiles_changed']:,} of {pool['scored']:,} profiles "
        f"({_pct(summary['profiles_changed_share'])}) change in some way: "
        f"{summary['level_changed']:,} change level ({summary['up']:,} up, "
        f"{summary['down']:,} down); {summary['requirements_changed']:,} change a "
        f"requirement's outcome ({summary['requirements_changed_level_kept']:,} keeping "
        f"their level); {summary['steps_changed']:,} change their next steps.</p>"
    )
    for dim, t in doc["transitions"].items():
        title = dim.replace("_", " ").capitalize()
        add(f"<h2>{_h(title)} transitions</h2>")
        moved = f"{t['changed']:,} changed ({_pct(t['changed_share'])})"
        if dim == "level":
            moved += f": {t['up']:,} up, {t['down']:,} down"
        add(f"<p>{moved}.</p>")
        add(
            f"<figure>{matrix_svg(t)}<figcaption>{_h(title)}: from (rows) × to (columns); "
            "the diagonal is unchanged.</figcaption></figure>"
        )
        for group in t["examples"]:
            add(
                f"<p>Examples, {_hc(_value(group['from']))} → {_hc(_value(group['to']))}:</p><ul>"
                + "".join(
                    f"<li>{_hc(ex['id'])}: {_h(ex['before'])} → {_h(ex['after'])}</li>"
                    for ex in group["examples"]
                )
                + "</ul>"
            )
    add("<h2>Requirements whose outcome changed</h2>")
    if doc["requirements"]:
        rows = [
            [
                _hc(r["requirement"]),
                _h(r["from"]),
                _h(r["to"]),
                _n(r["count"]),
                _h(_pct(r["share"])),
            ]
            for r in doc["requirements"]
        ]
        add(_table(["requirement", "from", "to", "profiles", "share"], rows))
        for r in _assessed(doc["requirements"]):
            add(
                f"<p>Examples, {_hc(r['requirement'])} {_h(r['from'])} → {_h(r['to'])}:</p><ul>"
                + "".join(
                    f"<li>{_hc(ex['id'])}: {_h(ex['before'])} → {_h(ex['after'])}</li>"
                    for ex in r.get("examples", ())
                )
                + "</ul>"
            )
    else:
        add("<p>None.</p>")
    if doc["still_blocked"]:
        add("<h3>What still blocks the profiles whose requirements changed but level did not</h3>")
        rows = [[_hc(b["requirement"]), _n(b["count"])] for b in doc["still_blocked"]]
        add(_table(["unmet requirement of the next rung", "profiles"], rows))
    add("<h2>Rules whose outcome changed</h2>")
    if doc["rules"]:
        rows = [[_hc(r["rule"]), _h(r["from"]), _h(r["to"]), _n(r["count"])] for r in doc["rules"]]
        add(_table(["rule", "from", "to", "profiles"], rows))
    else:
        add("<p>None.</p>")
    steps = doc["steps"]
    add("<h2>Next steps</h2>")
    add(
        f"<p>{steps['changed']:,} profiles change their steps; "
        f"{steps['first_step_changed']:,} their first step.</p>"
    )
    if steps["first_step"]:
        rows = [
            [_hc(_value(r["from"])), _hc(_value(r["to"])), _n(r["count"])]
            for r in steps["first_step"]
        ]
        add(_table(["first step before", "first step after", "profiles"], rows))
    for key, title in (("added", "Steps added"), ("removed", "Steps removed")):
        if steps[key]:
            items = ", ".join(f"{_hc(s['step'])} ({s['count']:,})" for s in steps[key])
            add(f"<p>{title}: {items}</p>")
    fit = doc["fit"]
    if fit is not None:
        spec = f" ({fit['specialization']})" if fit["specialization"] else ""
        add(f"<h2>Fit for {_hc(fit['role'])}{_h(spec)}</h2>")
        rho = fit["rank_correlation"]
        add(
            f"<p>{fit['changed']:,} scores change. Shortlist at {fit['shortlist_score']}: "
            f"{fit['shortlist_gained']:,} gained, {fit['shortlist_lost']:,} lost. Rank "
            f"correlation (Spearman) {'—' if rho is None else f'{rho:.4f}'}.</p>"
        )
        add(
            f"<figure>{histogram_svg(fit['histogram'])}<figcaption>Fit scores, base "
            "(grey) and new (blue).</figcaption></figure>"
        )
        for key, title in (("gained_examples", "Gained"), ("lost_examples", "Lost")):
            if fit[key]:
                add(
                    f"<p>{title}, for example:</p><ul>"
                    + "".join(
                        f"<li>{_hc(ex['id'])}: {_h(ex['before'])} → {_h(ex['after'])}</li>"
                        for ex in fit[key]
                    )
                    + "</ul>"
                )
    if doc["error_examples"]:
        add("<h2>Records that fail on one side only</h2>")
        for group in doc["error_examples"]:
            add(
                f"<p>Failing on the {_h(group['side'])} side:</p><ul>"
                + "".join(f"<li>{_hc(ex['id'])}: {_h(ex['code'])}</li>" for ex in group["examples"])
                + "</ul>"
            )
    add("</body>\n</html>")
    return "\n".join(parts) + "\n"


def _n(n: int) -> str:
    return f'<td class="n">{n:,}</td>'


def _table(head: list[str], rows: list[list[str]]) -> str:
    out = ["<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"]
    for row in rows:
        cells = "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in row)
        out.append(f"<tr>{cells}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def matrix_svg(t: dict) -> str:
    """A transition matrix as a heat map: rows from, columns to, counts in the cells."""
    values = [_value(v) for v in t["values"]]
    counts = {(_value(c["from"]), _value(c["to"])): c["count"] for c in t["cells"]}
    top = max(counts.values(), default=1)
    cell, label = 56, 96
    width = label + cell * len(values) + 8
    height = label + cell * len(values) + 8
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="transition matrix" '
        'font-family="system-ui, sans-serif" font-size="11">'
    ]
    for i, v in enumerate(values):
        x = label + i * cell + cell // 2
        out.append(
            f'<text x="{x}" y="{label - 8}" text-anchor="end" '
            f'transform="rotate(-45 {x} {label - 8})">{_h(v)}</text>'
        )
        y = label + i * cell + cell // 2 + 4
        out.append(f'<text x="{label - 6}" y="{y}" text-anchor="end">{_h(v)}</text>')
    for r, a in enumerate(values):
        for c, b in enumerate(values):
            n = counts.get((a, b), 0)
            x, y = label + c * cell, label + r * cell
            if n:
                strength = 0.15 + 0.85 * (n / top) ** 0.5
                fill = "#9aa5b1" if a == b else "#2f5d8a"
                style = f'fill="{fill}" fill-opacity="{strength:.3f}"'
            else:
                style = 'fill="#ffffff"'
            out.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" {style} stroke="#d9e2ec"/>'
            )
            if n:
                out.append(
                    f'<text x="{x + cell // 2}" y="{y + cell // 2 + 4}" '
                    f'text-anchor="middle">{n:,}</text>'
                )
    out.append("</svg>")
    return "".join(out)


def histogram_svg(h: dict) -> str:
    """Base and new fit-score histograms side by side, one pair of bars per bin."""
    bins, base, new = h["bins"], h["base"], h["new"]
    top = max([*base, *new, 1])
    bar, gap, plot = 14, 10, 160
    width = 40 + len(bins) * (2 * bar + gap)
    height = plot + 50
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="fit score histogram" '
        'font-family="system-ui, sans-serif" font-size="10">'
    ]
    for i, label in enumerate(bins):
        x = 30 + i * (2 * bar + gap)
        for j, (values, fill) in enumerate(((base, "#9aa5b1"), (new, "#2f5d8a"))):
            hgt = round(plot * values[i] / top)
            out.append(
                f'<rect x="{x + j * bar}" y="{10 + plot - hgt}" width="{bar}" '
                f'height="{hgt}" fill="{fill}"/>'
            )
        out.append(f'<text x="{x + bar}" y="{plot + 26}" text-anchor="middle">{_h(label)}</text>')
    out.append(
        f'<line x1="28" y1="{10 + plot}" x2="{width - 4}" y2="{10 + plot}" stroke="#52606d"/>'
    )
    out.append("</svg>")
    return "".join(out)
