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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from .compiler import Compiled, compile_ruleset
from .errors import KnowledgeError, Problem
from .facts import FactEncoder, derive, sections
from .fit import Fit, assess, check_role
from .implications import Implications
from .knowledgebase import Knowledge, load_knowledge
from .profile import Profile, check_profile
from .recommendation import Recommendation
from .reference import ReferenceEvaluator
from .ruleset import RuleSet, load_rules
from .sources import DataFile, content_hash, locate


@dataclass
class Model:
    """Everything loaded and checked: knowledge, rules, their version, compiled form."""

    knowledge: Knowledge
    ruleset: RuleSet
    knowledge_version: str
    compiled: Compiled
    files: list[tuple[str, DataFile]]

    def __post_init__(self) -> None:
        self.rule_order = {r.id: i for i, r in enumerate(self.ruleset.rules)}
        self.breadth_min_years = self.knowledge.threshold("breadth_min_years")


def load_model(
    knowledge: str | os.PathLike | None = None, rules: str | os.PathLike | None = None
) -> tuple[Model | None, list[Problem]]:
    """Load and check knowledge and rules; (model, []) or (None, every problem)."""
    k_root = locate(knowledge, "pmpath.knowledge")
    r_root = locate(rules, "pmpath.rules")
    kn, k_problems, k_files = load_knowledge(k_root)
    rs, r_problems, r_files = load_rules(r_root, kn)
    problems = sorted(set(k_problems + r_problems))
    if problems or kn is None or rs is None:
        return None, problems
    version = content_hash([("knowledge", k_files), ("rules", r_files)])
    files = [("knowledge", f) for f in k_files] + [("rules", f) for f in r_files]
    return Model(kn, rs, version, compile_ruleset(rs), files), []


class Engine:
    """Prepared once (`Engine.load`), evaluated many times (`recommend`)."""

    def __init__(self, model: Model, backend: str = "lean"):
        from .rete import DurableSession  # the only module that imports durable_rules

        self.model = model
        self.backend = backend
        self._session = DurableSession(
            model.compiled, f"pmpath-{model.knowledge_version[:12]}", backend
        )
        self._reference: ReferenceEvaluator | None = None
        self._encoder = FactEncoder(model.compiled.fields)
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
            self._reference = ReferenceEvaluator(self.model.ruleset, self.model.compiled.silent)
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
        return tuple(self._session.run_encoded([self._encoder.encode(normalised, derived)]))

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
        self, profiles: Iterable[Profile | Mapping], workers: int = 1
    ) -> Iterator[Recommendation]:
        """Recommendations in input order; ``workers`` > 1 uses worker processes."""
        if workers <= 1:
            for profile in profiles:
                yield self.recommend(profile)
            return
        from .parallel import recommend_in_processes

        yield from recommend_in_processes(self, profiles, workers)

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
        `RoleError` for an unknown role or specialization (see `pmpath.fit`).
        """
        check_role(self.model.knowledge, role, specialization)  # fail before inferring
        return assess(self.recommend(profile), role, specialization)

    def close(self) -> None:
        self._session.close()
