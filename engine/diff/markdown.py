"""The diff report as Markdown."""

from __future__ import annotations

import json
from typing import Any

from pmpath.words import md, visible


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
    # Long on purpose: the report's sections in reading order, each a few lines over the JSON
    # document; the HTML report mirrors it.
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
