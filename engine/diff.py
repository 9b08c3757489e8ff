"""What a knowledge or rules change does to a pool of profiles: the library behind
``pmpath diff`` (decision replay, as policy engines call it).

    run = DiffRun(base_engine, new_engine, ["pool.jsonl"], workers=2)
    report = run.run()           # a `DiffReport`: counts, matrices, examples
    report.to_dict()             # the JSON document (schemas/diff.schema.json)

Both sides score every record of the pool: the same readers as ``pmpath
batch`` (`pmpath.batch.RecordReader`), the same worker pool
(`pmpath.parallel.OrderedPool`), one `Engine` per side built once in each
worker. A worker hands back a small comparison per record, never the
recommendations; the parent keeps counts, and at most `EXAMPLES` example ids
per transition, so memory stays flat however large the pool.

What is compared, per record (``Side`` below): the level, specialization,
shape, certainty and next rung; each requirement's outcome (``met``,
``unmet``, or ``not_assessed`` when its rung is above the next one: rungs are
assessed bottom-up); which rules fired; the next steps; with a role, the fit
score. A change that moves no level but frees a requirement shows in the
requirement table, with what still blocks those profiles.

`knowledge_changes` says what changed in the files themselves: thresholds,
requirements, rules, steps and every other item with an ``id``, by id, with
the fields that changed and the item's source.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, NamedTuple

import yaml

from .batch import (
    RecordReader,
    Scorer,
    _record_id,
    auto_workers,
    inputs_bytes,
    resolve_inputs,
    run_job,
)
from .errors import PmpathError, ProfileError
from .fit import assess, check_role
from .parallel import STALL_TIMEOUT, WorkerDeath
from .profile import check_profile

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine, Model
    from .recommendation import Recommendation

SCHEMA_VERSION = 1
#: example ids kept per transition (the first ones met, in input order)
EXAMPLES = 5
#: fit scores of at least this are "on the shortlist" (the recruiter's cut in docs/embedding.md)
SHORTLIST_SCORE = 85
#: the exit code when a ``--fail-on`` condition holds (0 ok, 1 error, 2 usage, 3 bug)
FAIL_ON_EXIT = 4
NOT_ASSESSED = "not_assessed"
#: the dimensions with a transition matrix, in report order
DIMENSIONS = ("level", "specialization", "shape", "certainty", "next_level")


class DiffError(PmpathError):
    """A diff cannot start: a base revision, a directory or an expression is wrong.

    Codes: ``D001`` the base revision cannot be read from git, ``D002`` a
    ``--fail-on`` expression is malformed.
    """

    code = "D001"


# -- one record, compared in the worker ------------------------------------------------


class Side(NamedTuple):
    """What one knowledge version concludes for one profile."""

    core: tuple  # level, specialization, shape, certainty, next_level (DIMENSIONS order)
    requirements: tuple  # ((requirement id, "met" | "unmet"), ...) of the rungs assessed
    fired: frozenset  # rule ids
    steps: tuple  # step ids, first first
    gaps: tuple  # unmet requirements of the next rung
    fit: int | None  # with a role


def side_of(rec: Recommendation, role: str | None, specialization: str | None) -> Side:
    status = dict.fromkeys(rec.met, "met")
    status.update(dict.fromkeys(rec.gaps, "unmet"))
    return Side(
        (rec.level, rec.specialization, rec.shape, rec.certainty, rec.next_level),
        tuple(sorted(status.items())),
        frozenset(rec.fired),
        tuple(rec.steps),
        tuple(rec.gaps),
        assess(rec, role, specialization).score if role else None,
    )


class Delta(NamedTuple):
    """How the two sides of one record differ: all a worker hands back (small, and
    smallest for the many records where nothing changed: both cores are one object)."""

    core: tuple  # the base side's core
    core_new: tuple  # the new side's (the same tuple when equal)
    requirements: tuple = ()  # ((requirement, before, after), ...) that changed
    rules_lost: tuple = ()  # rules that fire on the base side only
    rules_gained: tuple = ()  # on the new side only
    steps_changed: bool = False
    first_step: tuple | None = None  # (before, after) when the first step differs
    steps_added: tuple = ()
    steps_removed: tuple = ()
    blockers: tuple = ()  # new-side gaps, when requirements changed and the level did not
    fit: tuple | None = None  # (base score, new score) with a role
    why: tuple | None = None  # (before, after) in words, when anything changed


def compare(b: Side, n: Side) -> Delta:
    """The `Delta` between the base and the new side of one record."""
    core_new = b.core if n.core == b.core else n.core
    fit = (b.fit, n.fit) if b.fit is not None else None
    if (
        core_new is b.core
        and (fit is None or fit[0] == fit[1])
        and b.requirements == n.requirements
        and b.fired == n.fired
        and b.steps == n.steps
    ):
        return Delta(b.core, core_new, fit=fit)
    requirements = ()
    blockers = ()
    if b.requirements != n.requirements:
        before, after = dict(b.requirements), dict(n.requirements)
        requirements = tuple(
            (req, before.get(req, NOT_ASSESSED), after.get(req, NOT_ASSESSED))
            for req in sorted(before.keys() | after.keys())
            if before.get(req) != after.get(req)
        )
        if b.core[0] == n.core[0]:
            blockers = n.gaps
    first_step = None
    if b.steps[:1] != n.steps[:1]:
        first_step = (b.steps[0] if b.steps else None, n.steps[0] if n.steps else None)
    return Delta(
        b.core,
        core_new,
        requirements,
        tuple(sorted(b.fired - n.fired)),
        tuple(sorted(n.fired - b.fired)),
        b.steps != n.steps,
        first_step,
        tuple(s for s in n.steps if s not in b.steps),
        tuple(s for s in b.steps if s not in n.steps),
        blockers,
        fit,
        (_why(b), _why(n)),
    )


class Compared(NamedTuple):
    """One record, both sides: what a worker hands back."""

    id: str
    error: str | None  # an error code when the record could not be scored (on either side)
    delta: Delta | None
    error_side: str = ""  # "base", "new" or "both" when ``error`` is set


# -- the job each worker runs ---------------------------------------------------------


class DiffJob:
    """Scores each record on both sides and compares them (see `pmpath.parallel.Job`)."""

    def __init__(
        self,
        base: Model,
        new: Model,
        *,
        role: str | None = None,
        specialization: str | None = None,
        engines: tuple[Engine, Engine] | None = None,
    ):
        self.base, self.new = base, new
        self.role, self.specialization = role, specialization
        self._engines = engines

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_engines"] = None  # each worker registers its own rulesets
        return state

    def setup(self) -> None:
        if self._engines is None:
            from .engine import Engine

            self._engines = (Engine(self.base), Engine(self.new))

    def run(self, record: tuple) -> Compared:
        data = None
        try:
            profile = Scorer.profile_of(record)
            data = profile.data
            normalised = check_profile(profile)  # one schema, so checked once for both sides
        except ProfileError as exc:
            return Compared(_record_id(data, record[1], record[2]), exc.code, None, "both")
        rid = _record_id(data, record[1], record[2])
        sides: list[Side | str] = []
        for engine in self._engines:
            try:
                rec = engine.recommend_normalised(normalised)
                sides.append(side_of(rec, self.role, self.specialization))
            except PmpathError as exc:
                sides.append(exc.code)
            except Exception:  # a bug on one side: that record fails, the run goes on
                sides.append("E000")
        base, new = sides
        if isinstance(base, str) and isinstance(new, str):
            return Compared(rid, base, None, "both")
        if isinstance(base, str):
            return Compared(rid, base, None, "base")
        if isinstance(new, str):
            return Compared(rid, new, None, "new")
        return Compared(rid, None, compare(base, new))

    def lost(self, record: tuple, reason: str) -> Compared:
        return Compared(_record_id(None, record[1], record[2]), "E002", None, "both")


# -- the report ------------------------------------------------------------------------


@dataclass
class _Examples:
    """Up to `EXAMPLES` examples per key, the first ones met."""

    items: dict = field(default_factory=dict)

    def add(self, key: Any, example: dict) -> None:
        kept = self.items.setdefault(key, [])
        if len(kept) < EXAMPLES:
            kept.append(example)


def _moves(order: dict[str, int], before: Any, after: Any) -> int:
    """+1 up the ladder, -1 down, 0 same or not comparable."""
    if before == after or before not in order or after not in order:
        return 0
    return 1 if order[after] > order[before] else -1


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


def _why(side: Side) -> str:
    """A short 'why' for an example: the level, and what keeps it from the next rung."""
    level, _, _, _, next_level = side.core
    if next_level is None:
        return f"{level} (the top rung)"
    if not side.gaps:
        return f"{level}; nothing is missing for {next_level}"
    return f"{level}; missing for {next_level}: {', '.join(side.gaps)}"


# -- --fail-on -----------------------------------------------------------------------------

#: metric -> the counter of profiles it reads
FAIL_ON_METRICS = {
    "profiles": "profiles",
    "level": "level",
    "up": "up",
    "down": "down",
    "specialization": "specialization",
    "shape": "shape",
    "certainty": "certainty",
    "next_level": "next_level",
    "requirements": "requirements",
    "rules": "rules",
    "steps": "steps",
    "first_step": "first_step",
    "fit": "fit",
    "shortlist": "shortlist",
    "errors": "errors",
}
_CONDITION = re.compile(r"^\s*([a-z_]+)\s*(>=|<=|>|<|==|=)\s*(\d+(?:\.\d+)?)\s*(%?)\s*$")


@dataclass(frozen=True)
class Condition:
    """One ``--fail-on`` condition: ``level>2%``, ``down>0``, ``errors>=10``."""

    text: str
    metric: str
    op: str
    value: float
    percent: bool

    def holds(self, report: DiffReport) -> tuple[bool, str]:
        n = report.count(self.metric)
        measured = 100 * n / report.scored if self.percent and report.scored else n
        if self.percent and not report.scored:
            measured = 0.0
        ok = {
            ">": measured > self.value,
            ">=": measured >= self.value,
            "<": measured < self.value,
            "<=": measured <= self.value,
            "==": measured == self.value,
            "=": measured == self.value,
        }[self.op]
        shown = f"{measured:.2f}% ({n:,} of {report.scored:,})" if self.percent else f"{n:,}"
        return ok, f"{self.text}: {self.metric} is {shown}"


def parse_conditions(text: str) -> list[Condition]:
    """``--fail-on`` as conditions (comma-separated); `DiffError` D002 naming the fault."""
    out = []
    for part in text.split(","):
        if not part.strip():
            continue
        m = _CONDITION.match(part)
        if m is None:
            raise DiffError(
                f"--fail-on: cannot read {part.strip()!r}; write METRIC OP NUMBER, optionally "
                "with %, e.g. 'level>2%' or 'down>0' (several separated by commas)",
                code="D002",
            )
        metric, op, value, percent = m.groups()
        if metric not in FAIL_ON_METRICS:
            raise DiffError(
                f"--fail-on: unknown metric {metric!r}; choose from " + ", ".join(FAIL_ON_METRICS),
                code="D002",
            )
        out.append(Condition(part.strip(), metric, op, float(value), bool(percent)))
    if not out:
        raise DiffError("--fail-on: no condition given, e.g. 'level>2%'", code="D002")
    return out


# -- what changed in the files --------------------------------------------------------------

_SHORT = 60  # scalar values up to this many characters are shown old -> new


def knowledge_changes(base: Model, new: Model) -> tuple[list[dict], list[dict]]:
    """(files, changes): each knowledge and rules file added, removed or changed; and
    every item with an ``id`` (thresholds, levels, requirements, steps, rules, ...)
    added, removed or changed, with the fields that changed and the item's source."""
    old = {(root, f.base): f for root, f in base.files}
    now = {(root, f.base): f for root, f in new.files}
    files, changes = [], []
    for key in sorted(old.keys() | now.keys()):
        root, name = key
        a, b = old.get(key), now.get(key)
        path = f"{root}/{name}"
        if a is None or b is None:
            files.append({"file": path, "change": "added" if a is None else "removed"})
        elif a.raw != b.raw:
            files.append({"file": path, "change": "changed"})
        else:
            continue
        items_a = _items(_load(a), path) if a is not None else {}
        items_b = _items(_load(b), path) if b is not None else {}
        for ident in sorted(items_a.keys() | items_b.keys()):
            ia, ib = items_a.get(ident), items_b.get(ident)
            kind, item_id = ident
            if ia is None or ib is None:
                item = ib if ia is None else ia
                changes.append(
                    {
                        "file": path,
                        "kind": kind,
                        "id": item_id,
                        "change": "added" if ia is None else "removed",
                        "source": _source(item),
                        "fields": [],
                    }
                )
            elif ia != ib:
                changes.append(
                    {
                        "file": path,
                        "kind": kind,
                        "id": item_id,
                        "change": "changed",
                        "source": _source(ib),
                        "fields": _fields(ia, ib),
                    }
                )
    return files, changes


def _load(f) -> Any:
    try:
        return yaml.safe_load(f.raw)
    except yaml.YAMLError:  # pragma: no cover - the model loaded, so it parses
        return None


_PLURAL = {"thresholds": "threshold", "levels": "level", "requirements": "requirement"}


def _items(doc: Any, path: str) -> dict[tuple[str, str], dict]:
    """Every mapping with an ``id`` inside a list, by (kind, id); nested ones apart."""
    out: dict[tuple[str, str], dict] = {}

    def walk(node: Any, key: str) -> None:
        if isinstance(node, Mapping):
            for k, v in node.items():
                walk(v, str(k))
        elif isinstance(node, list):
            kind = _PLURAL.get(key, key[:-1] if key.endswith("s") else key)
            for item in node:
                if isinstance(item, Mapping) and isinstance(item.get("id"), str):
                    own = {}
                    for k, v in item.items():
                        if isinstance(v, list) and any(
                            isinstance(x, Mapping) and isinstance(x.get("id"), str) for x in v
                        ):
                            walk(v, str(k))  # nested items are their own entries
                        else:
                            own[k] = v
                    out[(kind, item["id"])] = own
                else:
                    walk(item, key)

    walk(doc, os.path.splitext(os.path.basename(path))[0])
    return out


def _source(item: Mapping) -> str | None:
    source = item.get("source")
    return source if isinstance(source, str) else None


def _fields(a: Mapping, b: Mapping) -> list[dict]:
    out = []
    for key in sorted(a.keys() | b.keys(), key=str):
        va, vb = a.get(key), b.get(key)
        if va == vb:
            continue
        entry: dict[str, Any] = {"field": str(key)}
        if _shown(va) and _shown(vb):
            entry["from"], entry["to"] = va, vb
        else:
            entry["change"] = "added" if va is None else "removed" if vb is None else "reworded"
        out.append(entry)
    return out


def _shown(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float):
        return True
    return isinstance(value, str) and len(value) <= _SHORT and "\n" not in value


# -- the base from git ------------------------------------------------------------------------


def checkout_base(
    revision: str,
    knowledge_dir: str | os.PathLike | None = None,
    rules_dir: str | os.PathLike | None = None,
    *,
    cwd: str | os.PathLike | None = None,
) -> tuple[str, str, str]:
    """The knowledge and rules of git ``revision`` in a new temporary directory.

    The paths inside the repository are those of ``knowledge_dir`` and
    ``rules_dir`` when they lie in the checkout, else ``knowledge/`` and
    ``rules/`` at its top. Returns (temporary root, knowledge dir, rules dir);
    the caller removes the root. Raises `DiffError` (D001) naming what is wrong.
    """
    where = os.fspath(cwd) if cwd is not None else os.getcwd()
    top = _git(["rev-parse", "--show-toplevel"], where, "--base needs a git checkout").strip()
    sha = _git(
        ["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"],
        top,
        f"--base {revision}: no such revision in {top}",
    ).strip()
    paths = []
    for given, default in ((knowledge_dir, "knowledge"), (rules_dir, "rules")):
        rel = default
        if given is not None:
            full = os.path.realpath(given)
            inside = os.path.relpath(full, os.path.realpath(top))
            if not inside.startswith(os.pardir):
                rel = inside
        paths.append(rel.replace(os.sep, "/"))
    root = tempfile.mkdtemp(prefix="pmpath-base-")
    try:
        archive = os.path.join(root, "base.tar")
        with open(archive, "wb") as fh:
            _git(
                ["archive", "--format=tar", sha, "--", *paths],
                top,
                f"--base {revision}: {' and '.join(paths)} are not in that revision",
                stdout=fh,
            )
        with tarfile.open(archive) as tar:
            tar.extractall(os.path.join(root, "tree"), filter="data")
        os.unlink(archive)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    tree = os.path.join(root, "tree")
    return root, os.path.join(tree, paths[0]), os.path.join(tree, paths[1])


def _git(args: list[str], cwd: str, failure: str, stdout: IO[bytes] | None = None) -> str:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            stdout=stdout if stdout is not None else subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
    except FileNotFoundError:
        raise DiffError("--base needs git, which is not installed", code="D001") from None
    except subprocess.TimeoutExpired:
        raise DiffError(f"{failure} (git gave no answer in 120 s)", code="D001") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = f" (git: {said[-1]})" if said else ""
        raise DiffError(f"{failure}{detail}", code="D001")
    return done.stdout.decode("utf-8", "replace") if stdout is None else ""


# -- the run -----------------------------------------------------------------------------------


class DiffRun:
    """One ``pmpath diff`` run: inputs checked on construction, `run()` scores the pool."""

    def __init__(
        self,
        base: Engine,
        new: Engine,
        inputs: Iterable[str],
        *,
        workers: int | None = 1,
        input_format: str = "auto",
        role: str | None = None,
        specialization: str | None = None,
        shortlist: int = SHORTLIST_SCORE,
        chunk_size: int = 64,
        stdin: IO[bytes] | None = None,
        on_progress: Callable[[int], None] | None = None,
        on_event: Callable[[WorkerDeath], None] | None = None,
        stall_timeout: float = STALL_TIMEOUT,
    ):
        if specialization is not None and role is None:
            raise DiffError("--specialization goes with --role (the opening's rung)", code="D002")
        if role is not None:
            check_role(base.knowledge, role, specialization)
            check_role(new.knowledge, role, specialization)
        self.base, self.new = base, new
        self.inputs = resolve_inputs(list(inputs), input_format)
        self.reader = RecordReader(self.inputs, stdin)
        self.workers = max(1, workers) if workers is not None else auto_workers(self.total_bytes())
        self.chunk_size = chunk_size
        self.stall_timeout = stall_timeout
        self.on_progress, self.on_event = on_progress, on_event
        files, changes = knowledge_changes(base.model, new.model)
        self.report = DiffReport(
            base.knowledge_version,
            new.knowledge_version,
            files,
            changes,
            tuple(level.id for level in new.knowledge.levels),
            role=role,
            specialization=specialization,
            shortlist=shortlist,
        )
        self.job = DiffJob(base.model, new.model, role=role, specialization=specialization)

    def total_bytes(self) -> int | None:
        return inputs_bytes(self.inputs)

    def run(self) -> DiffReport:
        report = self.report
        if self.workers == 1:
            self.job._engines = (self.base, self.new)  # in this process: already built
        results = run_job(
            self.job,
            self.reader,
            self.workers,
            chunk_size=self.chunk_size,
            stall_timeout=self.stall_timeout,
            on_event=self._death,
        )
        try:
            for compared in results:
                report.add(compared)
                if self.on_progress is not None:
                    self.on_progress(self.reader.bytes_read)
        finally:
            close = getattr(results, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()
        return report

    def _death(self, death: WorkerDeath) -> None:
        self.report.deaths.append(death)
        if self.on_event is not None:
            self.on_event(death)
