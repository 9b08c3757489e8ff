"""The recommendation as text for a terminal: placement, gaps, questions, steps; ``--explain``."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pmpath.explain.why import GapExplanation, RuleCheck, Unmet, explain_gaps, show_facts
from pmpath.words import show_value, visible

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.results.recommendation import Recommendation

DEFAULT_WIDTH = 88

Style = Callable[..., str]


def plain(text: str, **_: Any) -> str:
    """The no-colour style: returns ``text`` unchanged."""
    return text


#: how many next steps the text shows in full; the rest are listed as "later"
STEPS_SHOWN = 5


def placement(data: dict) -> str:
    """The level in words, with its certainty: "Senior Product Manager", or "at least
    Associate Product Manager, possibly Senior Product Manager: answer 2 questions to
    place you"."""
    level = data["level"]
    if level["certainty"] == "placed":
        return level["title"]
    n = len(data["questions"])
    ask = f": answer {n} question{'s' if n != 1 else ''} to place you" if n else ""
    return f"at least {level['title']}, possibly {level['possible']['title']}{ask}"


def level_text(level: dict) -> str:
    if level["certainty"] == "placed":
        return f"{level['title']} ({level['id']}), placed"
    return f"at least {level['title']} ({level['id']}), possibly {level['possible']['title']}"


def _gap_text(gap: dict) -> str:
    notes = []
    if gap["status"] == "unknown":
        notes.append("not known yet: see the questions")
    if gap["weight"] == "typical":
        notes.append("typical of the rung, not required")
    return f"{gap['description']} [{gap['source']}]" + (f" ({'; '.join(notes)})" if notes else "")


def _question_text(k, question: dict) -> str:
    settles = question["settles"]
    if settles:
        about = "settles " + ", ".join(k.level_by_id[s].title for s in settles)
    else:
        about = "changes the " + " and the ".join(question["changes"])
    return f"{question['question']} ({question['field']}; {about}) [{question['source']}]"


def _source_line(rec: Recommendation, source_id: str) -> str:
    src = rec.model.knowledge.sources.get(source_id)
    if not src:
        return source_id
    authors = ", ".join(src.get("authors", ()))
    return f'{source_id}: "{src["title"]}"' + (f" ({authors})" if authors else "")


def _cited(data: dict, extra: list[dict]) -> list[str]:
    """Source ids cited by the visible parts of the output, in first-seen order."""
    seen: dict[str, None] = {}
    items: list[dict] = [*data["level"]["evidence"]]
    if data["next_level"]:
        items += data["next_level"]["gaps"]
    items += data["path_evidence"] + data["specialization"]["evidence"] + data["next_steps"]
    items += extra
    for item in items:
        if item.get("source"):
            seen.setdefault(item["source"], None)
    return list(seen)


def _shape_text(rec: Recommendation, shape: str) -> str:
    entry = rec.model.knowledge.shapes.get(shape, {})
    title = entry.get("title", f"{shape}-shaped")
    description = entry.get("description", "")
    return f"{title} ({_first_sentence(description)})" if description else title


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    head, dot, _ = text.partition(". ")
    out = head if dot else text
    if len(out) > 60 and ", " in out:  # keep the gloss short: its first clause
        out = out.split(", ", 1)[0]
    out = out[:1].lower() + out[1:]
    return out.rstrip(".")


def _spec_text(rec: Recommendation, spec: dict) -> str:
    """``Growth PM, from growth work; I-shaped (...)``."""
    if rec.derived.get("dominant_work") == "none":
        origin = "where most PMs start (no product work recorded yet)"
    else:
        entry = rec.model.knowledge.work_types.get(spec["work_type"], {})
        origin = "from " + entry.get("title", spec["work_type"]).lower()
    return f"{spec['title']}, {origin}; {_shape_text(rec, spec['shape'])}"


def _kwan_text(level: dict) -> str:
    if level["kwan_level"] == 0:
        return f"0, {level['kwan_name']} (not yet in a product role)"
    return f"{level['kwan_level']}, {level['kwan_name']}"


def _who(data: dict) -> str:
    profile = data["profile"]
    name, ident = visible(profile.get("name")), visible(profile.get("id"))
    if name and ident:
        return f"{name} ({ident})"
    return name or ident or "This profile"


# -- text -------------------------------------------------------------------------


def render_text(
    rec: Recommendation,
    *,
    explain: bool = False,
    style: Style = plain,
    width: int = DEFAULT_WIDTH,
) -> str:
    """The recommendation for a terminal: readable at a glance, optionally explained."""
    # Long on purpose: the text layout top to bottom (placement, gaps, questions, steps, warnings,
    # sources) with one wrapping helper; its explain part is `_text_explain`.
    data = rec.to_dict()
    k = rec.model.knowledge
    width = max(width, 40)
    out: list[str] = []

    def heading(text: str) -> None:
        out.append("")
        out.append(style(text, bold=True))

    def para(text: str, indent: str, first: str | None = None, label: str = "") -> None:
        """Wrap ``text``; ``label`` (already inside ``first``) is styled after wrapping,
        so colour codes never count toward the line width."""
        first = indent if first is None else first
        lines = textwrap.wrap(
            text,
            width,
            initial_indent=first,
            subsequent_indent=indent,
            break_on_hyphens=False,
        ) or [first.rstrip()]
        if label and lines[0].startswith(first):
            head = first.replace(label, style(label, bold=True), 1)
            lines[0] = head + lines[0][len(first) :]
        out.extend(lines)

    level = data["level"]
    spec = data["specialization"]
    nxt = data["next_level"]
    out.append(style(f"{_who(data)}: {placement(data)}", bold=True, fg="green"))
    out.append("")
    rows = [
        ("Level", level_text(level)),
        ("Kwan level", _kwan_text(level)),
        ("Specialization", _spec_text(rec, spec)),
    ]
    if data["path"]:
        path = k.entry_paths.get(data["path"], {})
        rows.append(("Way in", f"{data['path']}: {path.get('title', data['path'])}"))
    if nxt:
        rows.append(
            (
                "Next rung",
                f"{nxt['title']} ({nxt['id']}), Kwan level {nxt['kwan_level']}, {nxt['kwan_name']}",
            )
        )
    else:
        rows.append(("Next rung", f"none: {level['title']} is the top of the ladder"))
    label_width = max(len(label) for label, _ in rows) + 2
    for label, value in rows:
        para(value, " " * label_width, label.ljust(label_width), label)

    if level["strengthen"]:
        heading(f"What would strengthen the case for {level['title']}")
        for gap in level["strengthen"]:
            para(_gap_text(gap), "    ", "  - ")

    if nxt:
        heading(f"What is missing for {nxt['title']}")
        if not nxt["gaps"]:
            para("Nothing: every requirement of the rung holds.", "  ")
        for gap in nxt["gaps"]:
            para(_gap_text(gap), "    ", "  - ")

    if data["target"]:
        target = data["target"]
        heading(f"On the way to {target['title']}")
        for rung in target["rungs"]:
            para(rung["title"], "    ", "  ")
            for gap in rung["gaps"]:
                wait = f" (to go: {gap['time_to_go']})" if gap.get("time_to_go") else ""
                para(_gap_text(gap) + wait, "      ", "    - ")
            if rung["steps"]:
                steps = "; ".join(step["title"] for step in rung["steps"])
                para(f"Steps: {steps}.", "      ", "    ")

    if data["questions"]:
        heading(f"Questions that would place you ({len(data['questions'])})")
        for question in data["questions"]:
            para(_question_text(k, question), "    ", "  ? ")

    heading("Next steps")
    shown, later = data["next_steps"][:STEPS_SHOWN], data["next_steps"][STEPS_SHOWN:]
    if not data["next_steps"]:
        para("None suggested: the profile already shows what the catalogue would ask.", "  ")
    for i, step in enumerate(shown, 1):
        number = f"  {i}. "
        indent = " " * len(number)
        out.append(number + style(step["title"], bold=True, fg="cyan"))
        para(step["description"], indent)
        terms = step.get("in_your_terms")
        if terms:
            own = "; pmpath's own words" if terms.get("own") else ""
            title = spec["title"]
            label = f"As a {title}:"
            para(
                f"{terms['text']} [{terms['source']}{own}]",
                indent + " " * (len(label) + 1),
                indent + label + " ",
                label,
            )
        para(step["why"], indent + "     ", indent + "Why: ", "Why:")
        source = step["source"]
        if step["leads_to"] and nxt and step["leads_to"] != nxt["id"]:
            source += f"; leads to {k.level_by_id[step['leads_to']].title}"
        para(source, indent, indent + "Source: ", "Source:")
    if later:
        para("Later: " + "; ".join(step["title"] for step in later) + ".", "  ")

    if data["warnings"]:
        heading("Warnings")
        for warning in data["warnings"]:
            para(warning, "    ", "  ! ", "!")

    gap_explanations: list[GapExplanation] = []
    if explain:
        gap_explanations = explain_gaps(rec)
        _text_explain(rec, data, gap_explanations, out, heading, para, style)

    extra = [{"source": g.source} for g in gap_explanations]
    heading("Sources")
    for source_id in _cited(data, extra):
        para(_source_line(rec, source_id), "      ", "  ")
    return "\n".join(out) + "\n"


def _text_explain(rec, data, gaps, out, heading, para, style) -> None:
    shown: set[str] = set()

    def evidence(items: list[dict]) -> None:
        for item in items:
            shown.add(item["rule"])
            para(
                f"{item['rule']}: {item['because']} [{item['source']}]",
                "      ",
                "  - ",
            )
            if item["facts"]:
                para(f"read: {show_facts(item['facts'])}", "          ", "      ")

    level = data["level"]
    heading(f"Why {level['title']}")
    evidence(level["evidence"])
    spec = data["specialization"]
    heading(f"Why {spec['title']}, {spec['shape']}-shaped")
    evidence(spec["evidence"])
    if data["path"]:
        heading(f"Why the {data['path']} way in")
        evidence(data["path_evidence"])
    nxt = data["next_level"]
    if nxt:
        heading(f"Why not {nxt['title']} yet")
        if not gaps:
            para("Every requirement holds.", "  ")
        for gap in gaps:
            shown.add(f"ladder.gap.{gap.requirement}")
            para(f"{gap.requirement}: {gap.description} [{gap.source}]", "      ", "  - ")
            if not gap.rules:
                para("no rule can meet this requirement", "      ")
            for n, check in enumerate(gap.rules):
                _text_check(check, para, "      ", first=n == 0)
    steps = [s for s in data["next_steps"] if s["rules"]]
    if steps:
        heading("Why each step")
        by_rule = {item["rule"]: item for item in data["trace"]}
        for i, step in enumerate(steps, 1):
            para(f"{i}. {step['id']}: suggested by {', '.join(step['rules'])}", "      ", "  ")
            for rule_id in step["rules"]:
                shown.add(rule_id)
                facts = by_rule.get(rule_id, {}).get("facts")
                if facts:
                    para(f"read: {show_facts(facts)}", "          ", "      ")
    rest = [item for item in data["trace"] if item["rule"] not in shown]
    heading(f"Other rules that fired ({len(rest)} of {len(data['trace'])})")
    evidence(rest)


def _text_check(check: RuleCheck, para, indent: str, first: bool = True) -> None:
    para(f"{'rule' if first else 'nor could rule'} {check.rule}:", indent + "    ", indent)
    for unmet in check.unmet:
        _text_unmet(unmet, para, indent + "  ")


def _text_unmet(unmet: Unmet, para, indent: str) -> None:
    if unmet.causes:
        para(f"x {unmet.condition} does not hold", indent + "  ", indent)
        for n, cause in enumerate(unmet.causes):
            _text_check(cause, para, indent + "    ", first=n == 0)
        return
    para(f"x {unmet.condition}{_found(unmet)}", indent + "  ", indent)


def _found(unmet: Unmet) -> str:
    """``: it is 0.7`` (one value read) or ``: a is 1, b is 2`` (several)."""
    values = [(k, v) for k, v in unmet.values.items() if ":" not in k]
    if not values:
        return ""
    if len(values) == 1:
        return f": it is {show_value(values[0][1])}"
    return ": " + ", ".join(f"{k} is {show_value(v)}" for k, v in values)
