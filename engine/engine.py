"""`Engine`: load, validate and compile once; recommend many times.

    engine = Engine.load()                 # shipped knowledge and rules
    rec = engine.recommend({"experience": {"total_years": 6, "product_years": 4}})
    rec.level, rec.next_level, rec.steps
    print(rec.to_json())                   # output v1

Loading checks the knowledge and rules (the same checks as ``pmpath
validate``) and raises `KnowledgeError` listing every problem. A profile that
is not a valid v1 profile raises `ProfileError` with the field path.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from pmpath.errors import EngineError, KnowledgeError, PmpathError
from pmpath.inference.compiler import compiled_for
from pmpath.inference.facts import FactEncoder
from pmpath.inference.implications import Implications
from pmpath.inference.reference import ReferenceEvaluator
from pmpath.model import Model, load_model
from pmpath.model.knowledge import Knowledge
from pmpath.profile.checker import check_profile
from pmpath.profile.fields import derive, sections
from pmpath.profile.reader import Profile
from pmpath.results.fit import Fit, check_role
from pmpath.results.recommendation import Recommendation
from pmpath.results.score import assess
from pmpath.results.summary import check_detail, summary_dict

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.model import Model
    from pmpath.profile.reader import Profile
    from pmpath.results.recommendation import Recommendation


class Engine:
    """Prepared once (`Engine.load`), evaluated many times (`recommend`)."""

    def __init__(self, model: Model, backend: str = "lean"):
        # start-up time: durable_rules' C core loads only when an engine is built
        # (`pmpath guide`, `validate --help` and the like never need it)
        from pmpath.inference.rete import DurableSession

        self.model = model
        self.backend = backend
        #: the rules as compiled for durable_rules (once per model)
        self.compiled = compiled_for(model)
        self._session = DurableSession(
            self.compiled, f"pmpath-{model.knowledge_version[:12]}", backend
        )
        self._reference: ReferenceEvaluator | None = None
        self._encoder = FactEncoder(
            self.compiled.fields, self.compiled.later_fields, self.compiled.keys
        )
        self._implications = Implications(model.ruleset)

    @classmethod
    def load(
        cls,
        knowledge: str | os.PathLike | None = None,
        rules: str | os.PathLike | None = None,
        *,
        backend: str = "lean",
    ) -> Engine:
        """Load knowledge and rules (the shipped ones by default), check and compile them.

        Raises `KnowledgeError` with every problem found.
        """
        model, problems = load_model(knowledge, rules)
        if model is None:
            raise KnowledgeError(problems)
        return cls(model, backend)

    @property
    def knowledge(self) -> Knowledge:
        return self.model.knowledge

    @property
    def knowledge_version(self) -> str:
        return self.model.knowledge_version

    @property
    def reference(self) -> ReferenceEvaluator:
        if self._reference is None:
            self._reference = ReferenceEvaluator(self.model.ruleset, self.compiled.silent)
        return self._reference

    def prepare(self, profile: Profile | Mapping) -> tuple[dict, dict]:
        """Validate and normalise a profile, fill in what its facts imply; return it
        with its derived fields."""
        normalised, _ = self.complete(check_profile(profile))
        return normalised, self.derive(normalised)

    def complete(self, normalised: dict) -> tuple[dict, tuple[str, ...]]:
        """A normalised profile with the fields its facts imply filled in (see
        `pmpath.implications`), and the ids of the rules that filled them."""
        return self._implications.apply(normalised)

    def derive(self, normalised: dict) -> dict:
        """The derived fields of a profile that `check_profile` already normalised
        (they depend on this engine's knowledge: tie-break order, breadth threshold)."""
        return derive(normalised, self.model.knowledge.tie_break, self.model.breadth_min_years)

    def recommend_normalised(self, normalised: dict) -> Recommendation:
        """`recommend` for a profile `check_profile` already normalised (no second
        validation: ``pmpath diff`` checks a profile once for both of its engines)."""
        completed, implied = self.complete(normalised)
        derived = self.derive(completed)
        return Recommendation(
            self.model, completed, derived, implied + self.infer(completed, derived)
        )

    def recommend(self, profile: Profile | Mapping) -> Recommendation:
        """Where ``profile`` stands and what to do next, answered by durable_rules."""
        return self.recommend_normalised(check_profile(profile))

    def infer(self, normalised: dict, derived: dict) -> tuple[str, ...]:
        """The inference step alone: ids of the rules durable_rules fires for a
        prepared profile (see `prepare`), in firing order (a rule may repeat)."""
        return tuple(self._session.run_encoded(self._encoder.encode(normalised, derived)))

    def infer_reference(self, normalised: dict, derived: dict) -> tuple[str, ...]:
        """`infer`, by the plain-Python reference evaluator."""
        return tuple(self.reference.run(sections(normalised, derived)))

    def recommend_reference(self, profile: Profile | Mapping) -> Recommendation:
        """The same answer computed by the plain-Python reference evaluator (no durable)."""
        completed, implied = self.complete(check_profile(profile))
        derived = self.derive(completed)
        return Recommendation(
            self.model, completed, derived, implied + self.infer_reference(completed, derived)
        )

    def recommend_many(
        self,
        profiles: Iterable[Profile | Mapping],
        workers: int = 1,
        *,
        detail: str = "full",
    ) -> Iterator[Recommendation] | Iterator[dict]:
        """Recommendations in input order; ``workers`` > 1 uses worker processes.

        ``detail="summary"`` yields each recommendation's summary instead (a dict:
        `pmpath.results.summary.summary_dict`, the ``summary`` member of a ``pmpath
        batch --detail summary`` record): what a pool is sorted on, without the
        explanation, and with workers only the summary travels between processes.
        """
        check_detail(detail)
        if workers <= 1:
            for profile in profiles:
                rec = self.recommend(profile)
                yield summary_dict(rec) if detail == "summary" else rec
            return

        yield from recommend_in_processes(self, profiles, workers, detail=detail)

    def fit(
        self,
        profile: Profile | Mapping,
        role: str = "senior_pm",
        specialization: str | None = None,
    ) -> Fit:
        """How well ``profile`` fits an opening at ``role`` (a level id), and why.

        ``specialization`` (``core``, ``growth``, ``platform``, ``innovation``)
        is the kind of PM the opening asks for, if any. Returns a `Fit`: a 0-100
        score, every requirement of the role's rung and of the rungs below met
        or unmet with its evidence, and the candidate's own level and
        specialization. Raises `ProfileError` for an invalid profile and
        `RoleError` for an unknown role or specialization (see `check_opening`).
        """
        self.check_opening(role, specialization)  # fail before inferring
        return assess(self.recommend(profile), role, specialization)

    def check_opening(self, role: str, specialization: str | None = None) -> None:
        """Raise `RoleError` (F001/F002, naming the choices) unless ``role`` is a rung an
        opening can be at and ``specialization`` (if given) a known specialization."""
        check_role(self.model.knowledge, role, specialization)

    def close(self) -> None:
        self._session.close()


# -- Engine.recommend_many --------------------------------------------------------


class RecommendJob:
    """Scores profiles for `recommend_in_processes`: what fired (or the summary), not
    the whole output."""

    def __init__(self, model: Model, backend: str, detail: str = "full"):
        self.model = model
        self.backend = backend
        self.detail = detail
        self._engine: Engine | None = None

    def __getstate__(self) -> dict:
        return {
            "model": self.model,
            "backend": self.backend,
            "detail": self.detail,
            "_engine": None,
        }

    def setup(self) -> None:
        self._engine = Engine(self.model, self.backend)

    def run(self, profile: Any) -> tuple:
        try:
            rec = self._engine.recommend(profile)
            if self.detail == "summary":
                return ("summary", summary_dict(rec))
            return ("ok", rec.profile, rec.derived, rec.fired)
        except PmpathError as exc:  # a ProfileError among them: pickled whole
            return ("error", exc)
        except Exception:
            return ("error", EngineError(traceback.format_exc(limit=5), code="E001"))

    def lost(self, profile: Any, reason: str) -> tuple:
        message = f"a worker process died scoring this profile ({reason})"
        return ("error", EngineError(message, code="E002"))


def recommend_in_processes(
    engine: Engine,
    profiles: Iterable[Profile | Mapping],
    workers: int,
    *,
    chunk_size: int = 32,
    detail: str = "full",
) -> Iterator[Recommendation] | Iterator[dict]:
    """``engine.recommend`` for each profile, in ``workers`` processes, in input order.

    Raises what ``engine.recommend`` would raise (a `ProfileError` for an
    invalid profile) when the iteration reaches that profile. Memory stays
    bounded: profiles are read lazily, a window at a time.
    """
    # start-up time: the worker pool (subprocess, multiprocessing) loads only when
    # profiles are scored in processes
    from pmpath.pool import OrderedPool

    job = RecommendJob(engine.model, engine.backend, detail)
    with OrderedPool(job, workers, chunk_size=chunk_size) as pool:
        for answer in pool.imap(profiles):
            if answer[0] == "summary":
                yield answer[1]
            elif answer[0] == "ok":
                yield Recommendation(engine.model, answer[1], answer[2], answer[3])
            else:
                raise answer[1]
