"""The recommendation as Markdown: the text renderer's content for documents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pmpath.explain.why import GapExplanation, RuleCheck, explain_gaps, show_facts
from pmpath.render.text import _cited, _found, _kwan_text, _source_line, _spec_text, _who
from pmpath.words import md

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.results.recommendation import Recommendation


# -- markdown ---------------------------------------------------------------------


def render_markdown(rec: Recommendation, *, explain: bool = False) -> str:
    """The recommendation as a Markdown document (GitHub-flavoured)."""
    data = rec.to_dict()
    k = rec.model.knowledge
    level = data["level"]
    spec = data["specialization"]
    nxt = data["next_level"]
    out = [f"# {md(_who(data))}: {md(level['title'])}", "", "| | |", "|---|---|"]
    out.append(f"| Level | {md(level['title'])} (`{level['id']}`) |")
    out.append(f"| Kwan level | {md(_kwan_text(level))} |")
    out.append(f"| Specialization | {md(_spec_text(rec, spec))} |")
    if data["path"]:
        path = k.entry_paths.get(data["path"], {})
        out.append(f"| Way in | `{data['path']}`: {md(path.get('title', data['path']))} |")
    if nxt:
        out.append(
            f"| Next rung | {md(nxt['title'])} (`{nxt['id']}`), Kwan level {nxt['kwan_level']}, "
            f"{md(nxt['kwan_name'])} |"
        )
        out += ["", f"## What is missing for {md(nxt['title'])}", ""]
        if not nxt["gaps"]:
            out.append("Nothing: every requirement of the rung holds.")
        for gap in nxt["gaps"]:
            out.append(f"- {md(gap['description'])} *({md(gap['source'])})*")
    else:
        out.append(f"| Next rung | none: {md(level['title'])} is the top of the ladder |")
    out += ["", "## Next steps", ""]
    if not data["next_steps"]:
        out.append("None suggested: the profile already shows what the catalogue would ask.")
    for i, step in enumerate(data["next_steps"], 1):
        out.append(f"{i}. **{md(step['title'])}**: {md(step['description'])}  ")
        out.append(f"   *Why:* {md(step['why'])}  ")
        source = f"   *Source:* {md(step['source'])}"
        if step["leads_to"] and nxt and step["leads_to"] != nxt["id"]:
            source += f"; leads to {md(k.level_by_id[step['leads_to']].title)}"
        out.append(source)
    if data["warnings"]:
        out += ["", "## Warnings", ""]
        out += [f"- {md(w)}" for w in data["warnings"]]
    gaps: list[GapExplanation] = []
    if explain:
        gaps = explain_gaps(rec)
        out += _markdown_explain(data, gaps)
    out += ["", "## Sources", ""]
    for source_id in _cited(data, [{"source": g.source} for g in gaps]):
        out.append(f"- {md(_source_line(rec, source_id))}")
    return "\n".join(out) + "\n"


def _markdown_explain(data: dict, gaps: list[GapExplanation]) -> list[str]:
    out = ["", "## Explanation"]
    shown: set[str] = set()

    def evidence(items: list[dict]) -> None:
        for item in items:
            shown.add(item["rule"])
            line = f"- `{item['rule']}`: {md(item['because'])} *({md(item['source'])})*"
            if item["facts"]:
                line += f"  \n  read: {md(show_facts(item['facts']))}"
            out.append(line)

    out += ["", f"### Why {md(data['level']['title'])}", ""]
    evidence(data["level"]["evidence"])
    spec = data["specialization"]
    out += ["", f"### Why {md(spec['title'])}, {spec['shape']}-shaped", ""]
    evidence(spec["evidence"])
    if data["path"]:
        out += ["", f"### Why the {md(data['path'])} way in", ""]
        evidence(data["path_evidence"])
    nxt = data["next_level"]
    if nxt:
        out += ["", f"### Why not {md(nxt['title'])} yet", ""]
        if not gaps:
            out.append("Every requirement holds.")
        for gap in gaps:
            shown.add(f"ladder.gap.{gap.requirement}")
            out.append(f"- `{gap.requirement}`: {md(gap.description)} *({md(gap.source)})*")
            for n, check in enumerate(gap.rules):
                out += _markdown_check(check, "  ", first=n == 0)
    steps = [s for s in data["next_steps"] if s["rules"]]
    if steps:
        out += ["", "### Why each step", ""]
        by_rule = {item["rule"]: item for item in data["trace"]}
        for step in steps:
            rules = ", ".join(f"`{r}`" for r in step["rules"])
            line = f"- `{step['id']}`: suggested by {rules}"
            facts: dict = {}
            for rule_id in step["rules"]:
                shown.add(rule_id)
                facts.update(by_rule.get(rule_id, {}).get("facts") or {})
            if facts:
                line += f"  \n  read: {md(show_facts(facts))}"
            out.append(line)
    rest = [item for item in data["trace"] if item["rule"] not in shown]
    out += ["", f"### Other rules that fired ({len(rest)} of {len(data['trace'])})", ""]
    evidence(rest)
    return out


def _markdown_check(check: RuleCheck, indent: str, first: bool = True) -> list[str]:
    out = [f"{indent}- {'rule' if first else 'nor could rule'} `{check.rule}`:"]
    for unmet in check.unmet:
        if unmet.causes:
            out.append(f"{indent}  - ✗ `{unmet.condition}` does not hold")
            for n, cause in enumerate(unmet.causes):
                out += _markdown_check(cause, indent + "    ", first=n == 0)
            continue
        out.append(f"{indent}  - ✗ `{unmet.condition}`{md(_found(unmet))}")
    return out
