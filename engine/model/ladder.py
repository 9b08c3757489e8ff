"""The ladder rules generated from the knowledge: for each requirement its met and
possible rules, for each rung the k-of-n reach rules, the reachable, gap and
unknown families (rules/ladder.yaml holds their wording)."""

from __future__ import annotations

import dataclasses
import itertools
import math
import string
from collections import defaultdict

from pmpath.model.rules import (
    LADDER_FAMILIES,
    LADDER_PLACEHOLDERS,
    FactPattern,
    Group,
    Pred,
    Rule,
    SectionPattern,
)
from pmpath.source import schemas
from pmpath.source.data import DataFile


class _LadderRules:
    """Methods of `_Builder` (see its module); they read the builder's indexes."""

    # -- the ladder ----------------------------------------------------------
    def check_templates(self, f: DataFile, templates: dict) -> set[str]:
        """The ladder families whose `because` is a usable template; report the others."""
        usable = set()
        for family, t in templates.items():
            line = f.doc.line_of(("ladder", family, "because"))
            try:
                names = [name for _, name, _, _ in string.Formatter().parse(t["because"])]
            except ValueError as exc:
                self.add(
                    line,
                    "R001",
                    f"ladder.{family}.because: malformed placeholder ({exc}); "
                    "write {{ and }} for a literal brace",
                    f.display,
                )
                continue
            unknown = [n for n in names if n is not None and n not in LADDER_PLACEHOLDERS]
            if unknown:
                self.add(
                    line,
                    "R002",
                    f"ladder.{family}.because: unknown placeholder '{{{unknown[0]}}}'; use "
                    + ", ".join(f"{{{n}}}" for n in LADDER_PLACEHOLDERS),
                    f.display,
                )
                continue
            usable.add(family)
        return usable

    def ladder_rules(
        self, f: DataFile, templates: dict, start: int, written: list[Rule]
    ) -> list[Rule]:
        # Long on purpose: the six generated families share one wording helper and the weighed
        # requirement sets of each rung; split apart they would pass all of it around.
        out: list[Rule] = []
        levels = self.k.levels
        missing = [family for family in LADDER_FAMILIES if family not in templates]
        for family in missing:
            self.add(
                f.doc.line_of(("ladder",)),
                "R008",
                f"no `ladder.{family}` template: every family of generated rules needs one "
                f"({', '.join(LADDER_FAMILIES)})",
                f.display,
            )
        if missing:
            return out
        usable = self.check_templates(f, templates)

        def words(family: str, **fmt: str) -> tuple[str, str, int]:
            t = templates[family]
            values = dict.fromkeys(LADDER_PLACEHOLDERS, "") | fmt
            because = t["because"].format(**values) if family in usable else t["because"]
            return because, t["source"], f.doc.line_of(("ladder", family))

        def make(rid, concludes, when, family, source=None, **fmt):
            because, tsource, line = words(family, **fmt)
            out.append(
                Rule(
                    id=rid,
                    concludes=concludes,
                    when=tuple(when),
                    because=because,
                    source=source or tsource,
                    file=f.display,
                    line=line,
                    generated=True,
                    index=start + len(out),
                )
            )

        share = self.k.threshold("typical_share") if "typical_share" in self.k.thresholds else 1

        def typical_sets(level) -> list[tuple]:
            """The sets of typical requirements that are enough, each of the minimum size."""
            typical = [r for r in level.requirements if not r.defining]
            need = math.ceil(share * len(typical) - 1e-9) if typical else 0
            return list(itertools.combinations(typical, need))

        def suffix(level, chosen: tuple, many: bool) -> str:
            if not many:
                return ""
            return "." + "+".join(r.id[len(level.id) + 1 :] for r in chosen)

        def typical_words(chosen: tuple) -> str:
            if not chosen:
                return ""
            return "; typical ones met: " + ", ".join(
                r.id.split(".", 1)[1].replace("-", " ") for r in chosen
            )

        base = levels[0]
        make(
            f"ladder.base.{base.id}",
            ("reached", base.id),
            [SectionPattern("experience", Group("all", ()), 0)],
            "base",
            level_title=base.title,
            level=base.id,
        )
        out.extend(self.possible_rules(f, templates, usable, written, start + len(out)))
        #: per rung: its defining requirements, and the sets of typical ones that are enough
        weighed = {
            level.id: ([r for r in level.requirements if r.defining], typical_sets(level))
            for level in levels[1:]
        }
        for below, level in itertools.pairwise(levels):
            defining, sets = weighed[level.id]
            for chosen in sets:
                when = [FactPattern("reached", below.id, False, 0)]
                when += [FactPattern("met", r.id, False, 0) for r in (*defining, *chosen)]
                make(
                    f"ladder.reach.{level.id}{suffix(level, chosen, len(sets) > 1)}",
                    ("reached", level.id),
                    when,
                    "reach",
                    level=level.id,
                    level_title=level.title,
                    below_title=below.title,
                    typical=typical_words(chosen),
                )
        for i, level in enumerate(levels):
            when = [FactPattern("reached", level.id, False, 0)]
            nxt = levels[i + 1] if i + 1 < len(levels) else None
            if nxt is not None:
                when.append(FactPattern("reached", nxt.id, True, 0))
            make(
                f"ladder.level.{level.id}",
                ("level", level.id),
                when,
                "level",
                level=level.id,
                level_title=level.title,
                next_title=nxt.title if nxt else "",
            )
        # The rung no known fact rules out: from the placed level up, rung by rung,
        # while every defining requirement and enough typical ones are possible.
        for below, level in itertools.pairwise(levels):
            defining, sets = weighed[level.id]
            starts = [("above", FactPattern("level", below.id, False, 0))]
            if below.index > 0:
                starts.append(("chain", FactPattern("reachable", below.id, False, 0)))
            for how, first in starts:
                for chosen in sets:
                    when = [first]
                    when += [FactPattern("possible", r.id, False, 0) for r in (*defining, *chosen)]
                    make(
                        f"ladder.reachable.{level.id}.{how}{suffix(level, chosen, len(sets) > 1)}",
                        ("reachable", level.id),
                        when,
                        "reachable",
                        level=level.id,
                        level_title=level.title,
                        below_title=below.title,
                        typical=typical_words(chosen),
                    )
        required = _required_fields()
        reads: dict[str, set] = defaultdict(set)
        for r in out:
            if r.concludes[0] == "possible":
                for p in r.section_patterns:
                    reads[r.concludes[1]].update((p.section, t.field) for t in p.tests.tests())
        for below, level in itertools.pairwise(levels):
            for req in level.requirements:
                fmt = {
                    "level": level.id,
                    "level_title": level.title,
                    "requirement": req.description,
                }
                make(
                    f"ladder.gap.{req.id}",
                    ("gap", req.id),
                    [
                        FactPattern("reached", below.id, False, 0),
                        FactPattern("possible", req.id, True, 0),
                    ],
                    "gap",
                    source=req.source,
                    **fmt,
                )
                if reads[req.id] <= required:
                    continue  # it reads only required fields: never unknown
                make(
                    f"ladder.unknown.{req.id}",
                    ("unknown", req.id),
                    [
                        FactPattern("reached", below.id, False, 0),
                        FactPattern("possible", req.id, False, 0),
                        FactPattern("met", req.id, True, 0),
                    ],
                    "unknown",
                    source=req.source,
                    **fmt,
                )
        return out

    def possible_rules(
        self, f: DataFile, templates: dict, usable: set, written: list[Rule], start: int
    ) -> list[Rule]:
        """`possible: X` for each requirement X: its rules with every test true on a
        field that is not given. Alternatives in one section become one rule."""
        by_concl: dict[Pred, list[Rule]] = defaultdict(list)
        for r in written:
            by_concl[r.concludes].append(r)
        t = templates["possible"]
        out: list[Rule] = []
        for level in self.k.levels[1:]:
            for req in level.requirements:
                alternatives: list[list[SectionPattern]] = []
                for r in by_concl.get(("met", req.id), ()):
                    alternatives.extend(self.relaxed(r, by_concl))
                if not alternatives:
                    continue  # K004 reports the requirement no rule meets
                sections = {tuple(p.section for p in alt) for alt in alternatives}
                if len(alternatives) > 1 and len(sections) == 1 and len(next(iter(sections))) == 1:
                    (section,) = next(iter(sections))
                    merged = Group("any", tuple(alt[0].tests for alt in alternatives))
                    alternatives = [[SectionPattern(section, Group("all", (merged,)), 0)]]
                because = (
                    t["because"].format(
                        level=level.id,
                        level_title=level.title,
                        requirement=req.description,
                        below_title="",
                        next_title="",
                        typical="",
                    )
                    if "possible" in usable
                    else t["because"]
                )
                for n, alt in enumerate(alternatives, 1):
                    tail = f".{n}" if len(alternatives) > 1 else ""
                    out.append(
                        Rule(
                            id=f"possible.{req.id}{tail}",
                            concludes=("possible", req.id),
                            when=tuple(alt),
                            because=because,
                            source=req.source,
                            file=f.display,
                            line=f.doc.line_of(("ladder", "possible")),
                            generated=True,
                            index=start + len(out),
                        )
                    )
        return out

    def relaxed(self, rule: Rule, by_concl: dict) -> list[list[SectionPattern]]:
        """``rule``'s conditions with every field test true on an unknown field, as
        alternatives (a signal with several rules gives several), each a list of
        section patterns."""
        alternatives: list[list[SectionPattern]] = [[]]
        for p in rule.when:
            if isinstance(p, SectionPattern):
                options = [[SectionPattern(p.section, _relax(p.tests), p.line)]]
            elif p.negated and rule.concludes[0] == "signal":
                continue  # dropped: a weaker condition, so `possible` only grows (safe)
            elif p.negated or p.kind != "signal":
                self.add(
                    p.line or rule.line,
                    "R107",
                    f"rule '{rule.id}' meets a requirement through "
                    f"{'not ' if p.negated else ''}{p.kind} '{p.id}'; a requirement may read "
                    "only profile fields and signals, so that pmpath can tell whether it could "
                    "hold when some fields are not given",
                    rule.file,
                )
                return []
            else:
                options = []
                for definition in by_concl.get(p.pred, ()):
                    options.extend(self.relaxed(definition, by_concl))
            alternatives = [alt + option for alt in alternatives for option in options]
        return alternatives


def _required_fields() -> set[tuple[str, str]]:
    """The (section, field) pairs every valid profile gives."""
    props = schemas.load("profile")["properties"]
    return {
        (name, field)
        for name in schemas.load("profile").get("required", ())
        if props[name].get("type") == "object"
        for field in props[name].get("required", ())
    }


def _relax(group: Group) -> Group:
    """``group`` with every test true when its field is not given."""
    return Group(
        group.mode,
        tuple(
            _relax(item) if isinstance(item, Group) else dataclasses.replace(item, absent=True)
            for item in group.items
        ),
    )
