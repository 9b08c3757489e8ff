"""What both guide formats share: the section list, the wording of rungs, thresholds and steps."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from pmpath.model.knowledge import PLACEHOLDER, Knowledge, Level, Step
from pmpath.words import number

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
    return f"{number(t['value'])} {t['unit']}"


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


# -- HTML ------------------------------------------------------------------------


def h(text: str) -> str:
    """``text`` escaped for HTML content or a quoted attribute."""
    return escape(_words(text), quote=True)
