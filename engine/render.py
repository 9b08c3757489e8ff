"""Showing a `Recommendation` to people and programs: pure functions, no I/O, no click.

    from pmpath.render import render
    print(render(rec, "text", explain=True), end="")

Four formats:

- ``text`` reads at a glance in a terminal: the level with its Kwan level,
  the specialization and shape, the next rung and what is missing for it,
  then numbered next steps, each with why and its source. ``explain=True``
  adds the rules that fired and the facts they read, and, for every gap,
  which conditions of the requirement failed on which values (worked out
  by the reference evaluator's `explain_rule`).
- ``markdown``: the same content for a document, an issue or a wiki.
- ``json``: output v1 (``Recommendation.to_json()``) with a trailing newline,
  byte-identical for the same profile and knowledge.
- ``yaml``: the same content as ``json``, as YAML.

Colour is the caller's choice: text rendering takes a ``style`` function
with `click.style`'s signature (``style(text, fg=..., bold=..., dim=...)``);
the default, `plain`, leaves text as it is.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .facts import sections
from .reference import (
    describe_group,
    describe_pattern,
    describe_test,
    explain_rule,
    group_holds,
    test_holds,
)
from .ruleset import FactPattern, FieldTest, Group, Rule, SectionPattern
from .words import visible

if TYPE_CHECKING:  # pragma: no cover
    from .recommendation import Recommendation

FORMATS = ("text", "json", "markdown", "yaml")
DEFAULT_WIDTH = 88

Style = Callable[..., str]


def plain(text: str, **_: Any) -> str:
    """The no-colour style: returns ``text`` unchanged."""
    return text


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
    import yaml

    return yaml.safe_dump(
        rec.to_dict(), sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )


# -- why the next rung is not reached ------------------------------------------------


@dataclass(frozen=True)
class Unmet:
    """One condition that did not hold, the values it looked at, and for a derived
    fact that is absent, the rules that could have concluded it (and what they lacked)."""

    condition: str
    values: dict[str, Any]
    causes: tuple[RuleCheck, ...] = ()

    def to_dict(self) -> dict:
        return {
            "condition": self.condition,
            "values": dict(self.values),
            "causes": [c.to_dict() for c in self.causes],
        }


@dataclass(frozen=True)
class RuleCheck:
    """A rule that did not fire, with the conditions that failed."""

    rule: str
    because: str
    source: str
    unmet: tuple[Unmet, ...]

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "because": self.because,
            "source": self.source,
            "unmet": [u.to_dict() for u in self.unmet],
        }


@dataclass(frozen=True)
class GapExplanation:
    """Why one requirement of the next rung does not hold: each rule that could meet
    it (alternatives) and the conditions each one failed."""

    requirement: str
    description: str
    source: str
    rules: tuple[RuleCheck, ...]

    def to_dict(self) -> dict:
        return {
            "requirement": self.requirement,
            "description": self.description,
            "source": self.source,
            "rules": [r.to_dict() for r in self.rules],
        }


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


def explain_gaps(rec: Recommendation) -> list[GapExplanation]:
    """For every gap of ``rec``, which conditions failed, on which values."""
    model = rec.model
    ctx = _Context(
        facts=sections(rec.profile, rec.derived),
        derived={model.ruleset.by_id[r].concludes for r in rec.fired if r in model.ruleset.by_id},
        fired=set(rec.fired),
        concluders=model.ruleset.concluders,
    )
    out = []
    for req_id in rec.gaps:
        req = model.knowledge.requirements[req_id]
        checks = tuple(
            _check_rule(rule, ctx, depth=2) for rule in ctx.concluders.get(("met", req_id), [])
        )
        out.append(GapExplanation(req_id, req.description, req.source, checks))
    return out


@dataclass(frozen=True)
class _Context:
    facts: dict
    derived: set
    fired: set
    concluders: dict


def _check_rule(rule: Rule, ctx: _Context, depth: int) -> RuleCheck:
    unmet: list[Unmet] = []
    results = explain_rule(rule, ctx.facts, ctx.derived)
    for pattern, result in zip(rule.when, results, strict=True):
        if result.holds:
            continue
        if isinstance(pattern, FactPattern):
            unmet.append(_unmet_fact(pattern, ctx, depth))
        else:
            unmet.extend(_unmet_section(pattern, ctx.facts, result.values))
    return RuleCheck(rule.id, rule.because, rule.source, tuple(unmet))


def _unmet_fact(pattern: FactPattern, ctx: _Context, depth: int) -> Unmet:
    key = f"{pattern.kind}:{pattern.id}"
    rules = ctx.concluders.get(pattern.pred, [])
    if pattern.negated:  # the fact holds, and the rule needs it not to
        by = [r.id for r in rules if r.id in ctx.fired]
        text = f"not {pattern.kind} {pattern.id}"
        if by:
            text += f" (but {', '.join(by)} concluded it)"
        return Unmet(text, {key: True})
    causes: tuple[RuleCheck, ...] = ()
    if depth > 1:
        causes = tuple(_check_rule(r, ctx, depth - 1) for r in rules)
    return Unmet(f"{pattern.kind} {pattern.id}", {key: False}, causes)


def _unmet_section(pattern: SectionPattern, facts: dict, values: dict) -> list[Unmet]:
    fact = facts.get(pattern.section, {})
    group = pattern.tests
    if group.mode != "all":
        return [Unmet(describe_pattern(pattern), values)]
    out = []
    for item in group.items:
        if isinstance(item, FieldTest):
            if not test_holds(item, fact):
                key = f"{pattern.section}.{item.field}"
                out.append(Unmet(describe_test(item, pattern.section), {key: fact.get(item.field)}))
        elif isinstance(item, Group) and not group_holds(item, fact):
            tested = {f"{pattern.section}.{t.field}": fact.get(t.field) for t in item.tests()}
            out.append(Unmet(describe_group(item, pattern.section), tested))
    return out or [Unmet(describe_pattern(pattern), values)]


# -- shared helpers -------------------------------------------------------------------


def show_value(value: Any) -> str:
    """A fact's value as people write it: true/false, whole numbers without .0."""
    if value is None:
        return "not given"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    return visible(value)  # a profile's text (current_title): no control characters


def show_facts(facts: dict[str, Any]) -> str:
    """``{"scope.pm_reports": 2, "reached:pm": True}`` as ``scope.pm_reports = 2, reached pm``."""
    parts = []
    for key, value in facts.items():
        if ":" in key:  # a derived fact: kind:id -> whether it held (or had to be absent)
            kind, ident = key.split(":", 1)
            parts.append(f"{kind} {ident}" if value else f"no {kind} {ident}")
        else:
            parts.append(f"{key} = {show_value(value)}")
    return ", ".join(parts)


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


# -- markdown ---------------------------------------------------------------------

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})


def md(text: str) -> str:
    """``text`` with Markdown's special characters escaped."""
    return str(text).translate(_MD_SPECIAL)


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
