"""The model: knowledge and rules, loaded and checked, as plain data (L3).

`load_model` reads the knowledge and rules directories (the shipped ones by
default), checks them the way ``pmpath validate`` does and returns a `Model`,
or every problem found. Nothing here knows durable_rules: compiling the rules
for it is the inference layer's job (`pmpath.inference.compiler`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from pmpath.errors import Problem
from pmpath.model.knowledge import Knowledge
from pmpath.model.knowledge_loader import load_knowledge
from pmpath.model.memo import without_memo
from pmpath.model.rules import RuleSet
from pmpath.model.rules_loader import load_rules
from pmpath.source.data import DataFile, content_hash, locate


@dataclass
class Model:
    """Everything loaded and checked: knowledge, rules, their version and files."""

    knowledge: Knowledge
    ruleset: RuleSet
    knowledge_version: str
    files: list[tuple[str, DataFile]]

    def __post_init__(self) -> None:
        self.rule_order = {r.id: i for i, r in enumerate(self.ruleset.rules)}
        self.breadth_min_years = self.knowledge.threshold("breadth_min_years")

    def __getstate__(self) -> dict:
        return without_memo(self.__dict__)


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
    return Model(kn, rs, version, files), []
