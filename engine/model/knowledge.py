"""The career-path knowledge: loading, schema checks, cross-references, model.

`load_knowledge(directory)` returns a `Knowledge` (or None) and every problem
found. Knowledge is content: the ladder, requirements, thresholds, the step
catalogue and the rest, each entry citing a source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pmpath.model.memo import without_memo
from pmpath.source.data import DataFile

PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")


@dataclass(frozen=True)
class Requirement:
    id: str
    description: str
    source: str
    level: str
    index: int
    weight: str = "defining"  # or "typical" (see knowledge/levels.yaml)
    rationale: str = ""

    @property
    def defining(self) -> bool:
        return self.weight == "defining"


@dataclass(frozen=True)
class Level:
    id: str
    index: int
    title: str
    kwan_level: int
    kwan_name: str
    summary: str
    responsibilities: tuple[dict, ...]
    requirements: tuple[Requirement, ...]
    to_next: tuple[dict, ...]


@dataclass(frozen=True)
class Step:
    id: str
    index: int
    title: str
    description: str
    leads_to: tuple[str, ...] | str  # level ids, or "any"
    source: str
    added: bool
    #: specialization id -> {"text", "source", "own"?}: the step in a specialist's terms
    in_terms_of: dict = field(default_factory=dict)


@dataclass
class Knowledge:
    root: str
    files: dict[str, DataFile]
    sources: dict[str, dict]
    thresholds: dict[str, dict]
    levels: tuple[Level, ...]
    steps: dict[str, Step]
    kwan: dict[int, dict]
    tie_break: tuple[str, ...]
    work_types: dict[str, dict]
    specializations: dict[str, dict]
    shapes: dict[str, dict]
    skills: tuple[dict, ...]
    problems: tuple[dict, ...]
    entry_paths: dict[str, dict]
    senior_differentiators: tuple[dict, ...]
    leadership_shifts: tuple[dict, ...]
    #: "section.field" -> {"field", "question", "source"} (knowledge/questions.yaml)
    questions: dict[str, dict] = field(default_factory=dict)
    #: how `pmpath import` reads CVs and exports (knowledge/imports.yaml), checked
    imports: dict = field(default_factory=dict)
    level_by_id: dict[str, Level] = field(init=False)
    requirements: dict[str, Requirement] = field(init=False)

    def __post_init__(self) -> None:
        self.level_by_id = {lv.id: lv for lv in self.levels}
        self.requirements = {r.id: r for lv in self.levels for r in lv.requirements}

    def __getstate__(self) -> dict:
        return without_memo(self.__dict__)  # what is worked out once is built again

    def threshold(self, tid: str) -> float:
        return self.thresholds[tid]["value"]

    def next_level(self, level_id: str) -> Level | None:
        i = self.level_by_id[level_id].index
        return self.levels[i + 1] if i + 1 < len(self.levels) else None

    def below(self, level_id: str) -> Level | None:
        i = self.level_by_id[level_id].index
        return self.levels[i - 1] if i > 0 else None

    def line(self, file: str, path: tuple) -> tuple[str, int]:
        """Display name and line of ``path`` in knowledge file ``file``."""
        data_file = self.files[file]
        return data_file.display, data_file.doc.line_of(path) if data_file.doc else 1
