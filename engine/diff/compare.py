"""One record on both sides: `Side` (what each side concluded), `compare` (what
moved) and `DiffJob`, the worker job that scores a record with both engines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from pmpath.batch.inputs import _record_id
from pmpath.batch.scorer import Scorer
from pmpath.engine import Engine
from pmpath.errors import PmpathError, ProfileError
from pmpath.profile.checker import check_profile
from pmpath.results.score import assess

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.engine import Engine
    from pmpath.model import Model
    from pmpath.results.recommendation import Recommendation
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    pass


SCHEMA_VERSION = 1
#: example ids kept per transition (the first ones met, in input order)
EXAMPLES = 5
#: fit scores of at least this are "on the shortlist" (the recruiter's cut in docs/embedding.md)
SHORTLIST_SCORE = 85
NOT_ASSESSED = "not_assessed"
#: the dimensions with a transition matrix, in report order
DIMENSIONS = ("level", "specialization", "shape", "certainty", "next_level")


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
    """Scores each record on both sides and compares them (see `pmpath.pool.Job`)."""

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


def _why(side: Side) -> str:
    """A short 'why' for an example: the level, and what keeps it from the next rung."""
    level, _, _, _, next_level = side.core
    if next_level is None:
        return f"{level} (the top rung)"
    if not side.gaps:
        return f"{level}; nothing is missing for {next_level}"
    return f"{level}; missing for {next_level}: {', '.join(side.gaps)}"
