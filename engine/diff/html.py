"""The diff report as one standalone HTML file (inline CSS and SVG, no scripts)."""

from __future__ import annotations

from typing import Any

from pmpath.diff.markdown import _assessed, _field_change, _pct, _value
from pmpath.diff.svg import _h, histogram_svg, matrix_svg

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


def _hc(text: Any) -> str:
    return f"<code>{_h(text)}</code>"


def to_html(doc: dict) -> str:
    # Long on purpose: the same sections as `to_markdown`, as HTML.
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
