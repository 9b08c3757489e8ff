"""`DiffReport`: the counts, transition matrices and examples of a diff, and its
JSON document (``pmpath schema diff``).
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pmpath.diff.compare import (
    DIMENSIONS,
    SCHEMA_VERSION,
    SHORTLIST_SCORE,
    Compared,
    _Examples,
    _moves,
)
from pmpath.diff.conditions import FAIL_ON_METRICS
from pmpath.pool import WorkerDeath

if TYPE_CHECKING:  # pragma: no cover
    pass


@dataclass
class DiffReport:
    """Everything the diff counted. ``to_dict()`` is the JSON document."""

    base_version: str
    new_version: str
    files: list[dict]
    changes: list[dict]
    level_order: tuple[str, ...]
    role: str | None = None
    specialization: str | None = None
    shortlist: int = SHORTLIST_SCORE
    records: int = 0
    scored: int = 0  # scored on both sides
    errors: Counter = field(default_factory=Counter)  # (side, code) -> count
    matrices: dict = field(default_factory=lambda: {d: Counter() for d in DIMENSIONS})
    changed: Counter = field(default_factory=Counter)  # what changed -> profiles
    requirements: Counter = field(default_factory=Counter)  # (req, before, after)
    rules: Counter = field(default_factory=Counter)  # (rule, before, after)
    blockers: Counter = field(default_factory=Counter)  # requirement -> profiles
    first_steps: Counter = field(default_factory=Counter)  # (before, after)
    steps_added: Counter = field(default_factory=Counter)
    steps_removed: Counter = field(default_factory=Counter)
    fit_joint: Counter = field(default_factory=Counter)  # (base score, new score)
    examples: _Examples = field(default_factory=_Examples)
    deaths: list[WorkerDeath] = field(default_factory=list)

    def add(self, c: Compared) -> None:
        self.records += 1
        if c.error is not None:
            self.errors[(c.error_side, c.error)] += 1
            if c.error_side != "both":
                self.changed["error"] += 1
                self.examples.add(("error", c.error_side), {"id": c.id, "code": c.error})
            return
        self.scored += 1
        d = c.delta
        matrices = self.matrices
        if d.core_new is d.core:  # the common case: no dimension moved
            for i, dim in enumerate(DIMENSIONS):
                matrices[dim][(d.core[i], d.core[i])] += 1
        else:
            for i, dim in enumerate(DIMENSIONS):
                before, after = d.core[i], d.core_new[i]
                matrices[dim][(before, after)] += 1
                if before != after:
                    self.changed[dim] += 1
                    self.examples.add((dim, before, after), self._example(c))
            move = _moves(self._order, d.core[0], d.core_new[0])
            if move:
                self.changed["up" if move > 0 else "down"] += 1
        if d.fit is not None:
            b_fit, n_fit = d.fit
            self.fit_joint[d.fit] += 1
            if b_fit != n_fit:
                self.changed["fit"] += 1
                on_b, on_n = b_fit >= self.shortlist, n_fit >= self.shortlist
                if on_b != on_n:
                    kind = "shortlist_gained" if on_n else "shortlist_lost"
                    self.changed[kind] += 1
                    self.examples.add((kind,), self._example(c))
        if d.why is None:
            return
        self.changed["profiles"] += 1
        if d.requirements:
            self.changed["requirements"] += 1
            for key in d.requirements:
                self.requirements[key] += 1
                self.examples.add(("requirement", *key), self._example(c))
            if d.core[0] == d.core_new[0]:
                self.changed["requirements_level_kept"] += 1
                for gap in d.blockers:
                    self.blockers[gap] += 1
        if d.rules_lost or d.rules_gained:
            self.changed["rules"] += 1
            for rule in d.rules_lost:
                self.rules[(rule, "fired", "not_fired")] += 1
            for rule in d.rules_gained:
                self.rules[(rule, "not_fired", "fired")] += 1
        if d.steps_changed:
            self.changed["steps"] += 1
            if d.first_step is not None:
                self.changed["first_step"] += 1
                self.first_steps[d.first_step] += 1
                self.examples.add(("first_step", *d.first_step), self._example(c))
            for s in d.steps_added:
                self.steps_added[s] += 1
            for s in d.steps_removed:
                self.steps_removed[s] += 1

    @functools.cached_property
    def _order(self) -> dict[str, int]:
        return {level: i for i, level in enumerate(self.level_order)}

    @staticmethod
    def _example(c: Compared) -> dict:
        before, after = c.delta.why  # set whenever anything changed
        return {"id": c.id, "before": before, "after": after}

    # -- derived figures ---------------------------------------------------------------
    def count(self, metric: str) -> int:
        """Profiles counted under a `--fail-on` metric (see `FAIL_ON_METRICS`)."""
        if metric == "errors":
            return sum(n for (side, _), n in self.errors.items() if side == "new")
        if metric == "shortlist":
            return self.changed["shortlist_gained"] + self.changed["shortlist_lost"]
        return self.changed[FAIL_ON_METRICS[metric]]

    def histogram(self, which: int) -> list[int]:
        """Fit scores in ten bins (0-9, ..., 90-100) for the base (0) or new (1) side."""
        bins = [0] * 10
        for pair, n in self.fit_joint.items():
            bins[min(pair[which] // 10, 9)] += n
        return bins

    def rank_correlation(self) -> float | None:
        """Spearman's rho between base and new fit scores (ties take their mean rank)."""
        total = sum(self.fit_joint.values())
        if total < 2:
            return None
        ranks = []
        for which in (0, 1):
            counts = Counter()
            for pair, n in self.fit_joint.items():
                counts[pair[which]] += n
            rank, seen = {}, 0
            for score in sorted(counts):
                rank[score] = seen + (counts[score] + 1) / 2
                seen += counts[score]
            ranks.append(rank)
        mean = (total + 1) / 2
        sxy = sxx = syy = 0.0
        for (x, y), n in self.fit_joint.items():
            dx, dy = ranks[0][x] - mean, ranks[1][y] - mean
            sxy += n * dx * dy
            sxx += n * dx * dx
            syy += n * dy * dy
        if sxx == 0 or syy == 0:
            return 1.0 if sxx == syy else None
        return round(sxy / math.sqrt(sxx * syy), 4)

    # -- the document --------------------------------------------------------------------
    def to_dict(self) -> dict:
        # Long on purpose: one JSON document (pmpath schema diff), key by key in the schema's
        # order.
        order = self._order
        scored = self.scored

        def share(n: int) -> float:
            return round(n / scored, 4) if scored else 0.0

        def matrix(dim: str) -> dict:
            counts = self.matrices[dim]
            if dim in ("level", "next_level"):
                key = lambda v: order.get(v, len(order)) if v is not None else -1  # noqa: E731
            else:
                key = lambda v: (v is None, str(v))  # noqa: E731
            values = sorted({v for pair in counts for v in pair}, key=key)
            cells = [
                {"from": a, "to": b, "count": n, "share": share(n)}
                for (a, b), n in sorted(
                    counts.items(), key=lambda kv: (key(kv[0][0]), key(kv[0][1]))
                )
            ]
            out = {
                "values": values,
                "cells": cells,
                "changed": self.changed[dim],
                "changed_share": share(self.changed[dim]),
            }
            if dim == "level":
                out["up"] = self.changed["up"]
                out["down"] = self.changed["down"]
            return out

        def transitions(counter: Counter, names: tuple[str, ...], kind: str) -> list[dict]:
            rows = []
            for key, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])):
                row = dict(zip(names, key, strict=True))
                row["count"] = n
                row["share"] = share(n)
                examples = self.examples.items.get((kind, *key))
                if examples is not None:
                    row["examples"] = examples
                rows.append(row)
            return rows

        out = {
            "schema_version": SCHEMA_VERSION,
            "base": {"knowledge_version": self.base_version},
            "new": {"knowledge_version": self.new_version},
            "identical": self.base_version == self.new_version,
            "files": self.files,
            "changes": self.changes,
            "pool": {
                "records": self.records,
                "scored": scored,
                "errors": [
                    {"side": side, "code": code, "count": n}
                    for (side, code), n in sorted(self.errors.items())
                ],
            },
            "summary": {
                "profiles_changed": self.changed["profiles"],
                "profiles_changed_share": share(self.changed["profiles"]),
                "level_changed": self.changed["level"],
                "up": self.changed["up"],
                "down": self.changed["down"],
                "requirements_changed": self.changed["requirements"],
                "requirements_changed_level_kept": self.changed["requirements_level_kept"],
                "rules_changed": self.changed["rules"],
                "steps_changed": self.changed["steps"],
                "first_step_changed": self.changed["first_step"],
                "errors_changed": self.changed["error"],
            },
            "transitions": {
                dim: {
                    **matrix(dim),
                    "examples": [
                        {"from": key[1], "to": key[2], "examples": ex}
                        for key, ex in sorted(
                            ((k, v) for k, v in self.examples.items.items() if k[0] == dim),
                            key=lambda kv: (str(kv[0][1]), str(kv[0][2])),
                        )
                    ],
                }
                for dim in DIMENSIONS
            },
            "requirements": transitions(
                self.requirements, ("requirement", "from", "to"), "requirement"
            ),
            "rules": transitions(self.rules, ("rule", "from", "to"), "rule"),
            "still_blocked": [
                {"requirement": req, "count": n}
                for req, n in sorted(self.blockers.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            "steps": {
                "changed": self.changed["steps"],
                "first_step_changed": self.changed["first_step"],
                "first_step": transitions(self.first_steps, ("from", "to"), "first_step"),
                "added": _counted(self.steps_added, "step"),
                "removed": _counted(self.steps_removed, "step"),
            },
            "fit": None,
            "error_examples": [
                {"side": key[1], "examples": ex}
                for key, ex in sorted(self.examples.items.items(), key=lambda kv: str(kv[0]))
                if key[0] == "error"
            ],
        }
        if self.role:
            out["fit"] = {
                "role": self.role,
                "specialization": self.specialization,
                "shortlist_score": self.shortlist,
                "changed": self.changed["fit"],
                "histogram": {
                    "bins": [f"{10 * i}-{10 * i + 9 if i < 9 else 100}" for i in range(10)],
                    "base": self.histogram(0),
                    "new": self.histogram(1),
                },
                "shortlist_gained": self.changed["shortlist_gained"],
                "shortlist_lost": self.changed["shortlist_lost"],
                "gained_examples": self.examples.items.get(("shortlist_gained",), []),
                "lost_examples": self.examples.items.get(("shortlist_lost",), []),
                "rank_correlation": self.rank_correlation(),
            }
        return out


def _counted(counter: Counter, name: str) -> list[dict]:
    return [
        {name: key, "count": n}
        for key, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
