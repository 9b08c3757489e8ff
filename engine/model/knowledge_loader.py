"""Loading the knowledge: every file schema-checked, then cross-checked (ids,
references, coverage, contract ids) into a `Knowledge`, or every problem.
"""

from __future__ import annotations

import re
from importlib.resources.abc import Traversable
from typing import Any

from pmpath import contract, words
from pmpath.errors import Problem
from pmpath.model.knowledge import PLACEHOLDER, Knowledge, Level, Requirement, Step
from pmpath.profile.fields import SECTION_FIELDS
from pmpath.source import schemas
from pmpath.source.data import DataFile, read_dir, schema_problems
from pmpath.source.schemas import KNOWLEDGE_FILES


class _Checker:
    """Builds the model from schema-valid files, collecting reference problems."""

    def __init__(self, files: dict[str, DataFile]):
        self.files = files
        self.problems: list[Problem] = []

    def data(self, name: str) -> dict:
        return self.files[name].doc.data

    def add(self, name: str, path: tuple, code: str, message: str) -> None:
        f = self.files[name]
        self.problems.append(
            Problem(f.display, f.doc.line_of(path), code, message, ".".join(map(str, path)))
        )

    def unique(self, name: str, key: str, items: list, id_field: str = "id") -> dict:
        out: dict = {}
        for i, item in enumerate(items):
            ident = item[id_field]
            if ident in out:
                self.add(name, (key, i, id_field), "K002", f"duplicate id '{ident}' in {name}.yaml")
            else:
                out[ident] = item
        return out

    def ref(
        self, name: str, path: tuple, value: Any, known, what: str, *, listed: bool = False
    ) -> None:
        """K003 unless ``value`` is among ``known``; ``listed`` names them (a short list)."""
        if value not in known:
            choices = f"; one of {', '.join(known)}" if listed else ""
            self.add(name, path, "K003", f"unknown {what} '{value}'{choices}")

    def build(self, root: str) -> Knowledge:
        # Long on purpose: the cross-checks of the twelve files in the order they depend on each
        # other (sources, levels, requirements, steps, ...); each block is one file's.
        sources = self.unique("sources", "sources", self.data("sources")["sources"])
        for sid in contract.SOURCES:
            if sid not in sources:
                self.add("sources", ("sources",), "K009", f"contract source id '{sid}' is missing")

        def cite(name: str, path: tuple, value: str) -> None:
            self.ref(name, path, value, sources, "source")

        raw_thresholds = self.data("thresholds")["thresholds"]
        thresholds = self.unique("thresholds", "thresholds", raw_thresholds)
        for i, t in enumerate(raw_thresholds):
            cite("thresholds", ("thresholds", i, "source"), t["source"])

        steps_raw = self.data("steps")["steps"]
        step_items = self.unique("steps", "steps", steps_raw)
        for sid in contract.CATALOGUE_V1:
            if sid not in step_items:
                self.add("steps", ("steps",), "K009", f"contract step id '{sid}' is missing")

        kwan_raw = self.data("kwan")["kwan_levels"]
        kwan = self.unique("kwan", "kwan_levels", kwan_raw, "level")
        for number, name in contract.KWAN_NAMES.items():
            if number not in kwan:
                self.add("kwan", ("kwan_levels",), "K009", f"Kwan level {number} is missing")
            elif kwan[number]["name"] != name:
                i = kwan_raw.index(kwan[number])
                self.add(
                    "kwan",
                    ("kwan_levels", i, "name"),
                    "K009",
                    f"Kwan level {number} must be named '{name}' (spec section 2)",
                )
        for i, k in enumerate(kwan_raw):
            cite("kwan", ("kwan_levels", i, "source"), k["source"])
            for j, lv in enumerate(k["levels"]):
                if contract.KWAN_LEVEL_OF.get(lv) != k["level"]:
                    self.add(
                        "kwan",
                        ("kwan_levels", i, "levels", j),
                        "K009",
                        f"level '{lv}' is not at Kwan level {k['level']} in the contract",
                    )

        levels = self._levels(thresholds, kwan, cite)
        level_ids = {lv.id for lv in levels}

        steps = {}
        for i, s in enumerate(steps_raw):
            cite("steps", ("steps", i, "source"), s["source"])
            leads = s["leads_to"]
            if isinstance(leads, list):
                for j, lv in enumerate(leads):
                    self.ref("steps", ("steps", i, "leads_to", j), lv, level_ids, "level")
                leads = tuple(leads)
            steps.setdefault(
                s["id"],
                Step(
                    s["id"],
                    i,
                    s["title"],
                    s["description"],
                    leads,
                    s["source"],
                    s.get("added", False),
                    s.get("in_terms_of", {}),
                ),
            )
            for spec_id, wording in s.get("in_terms_of", {}).items():
                cite("steps", ("steps", i, "in_terms_of", spec_id, "source"), wording["source"])

        spec = self.data("specializations")
        work_types = self.unique("specializations", "work_types", spec["work_types"])
        specializations = self.unique("specializations", "specializations", spec["specializations"])
        shapes = self.unique("specializations", "shapes", spec["shapes"])
        if sorted(spec["tie_break"]) != sorted(contract.WORK_TO_SPECIALIZATION):
            self.add(
                "specializations",
                ("tie_break",),
                "K009",
                "tie_break must list each kind of work exactly once: "
                + ", ".join(contract.WORK_TO_SPECIALIZATION),
            )
        for work, special in contract.WORK_TO_SPECIALIZATION.items():
            if work not in work_types or work_types[work]["specialization"] != special:
                self.add(
                    "specializations",
                    ("work_types",),
                    "K009",
                    f"work type '{work}' must map to specialization '{special}'",
                )
            if special not in specializations or specializations[special]["work_type"] != work:
                self.add(
                    "specializations",
                    ("specializations",),
                    "K009",
                    f"specialization '{special}' must follow work type '{work}'",
                )
        for shape in contract.SHAPES:
            if shape not in shapes:
                self.add("specializations", ("shapes",), "K009", f"shape '{shape}' is missing")
        for key in ("work_types", "specializations", "shapes"):
            for i, item in enumerate(spec[key]):
                cite("specializations", (key, i, "source"), item["source"])

        skills = self.data("skills")["skills"]
        self.unique("skills", "skills", skills)

        for i, sk in enumerate(skills):
            cite("skills", ("skills", i, "source"), sk["source"])
            self.ref("skills", ("skills", i, "step"), sk["step"], step_items, "step")
            section, _, fname = sk["profile_field"].partition(".")
            if fname not in SECTION_FIELDS.get(section, ()):
                self.add(
                    "skills",
                    ("skills", i, "profile_field"),
                    "K003",
                    f"unknown profile field '{sk['profile_field']}'",
                )

        problems = self.data("problems")["problems"]
        self.unique("problems", "problems", problems)
        for i, p in enumerate(problems):
            cite("problems", ("problems", i, "source"), p["source"])

        paths_raw = self.data("entry_paths")["entry_paths"]
        entry_paths = self.unique("entry_paths", "entry_paths", paths_raw)
        for pid in contract.PATHS:
            if pid not in entry_paths:
                self.add("entry_paths", ("entry_paths",), "K009", f"entry path '{pid}' is missing")
        for i, p in enumerate(paths_raw):
            cite("entry_paths", ("entry_paths", i, "source"), p["source"])
            for j, st in enumerate(p["steps"]):
                self.ref(
                    "entry_paths",
                    ("entry_paths", i, "steps", j, "step"),
                    st["step"],
                    step_items,
                    "step",
                )
                if st["order"] != j + 1:
                    self.add(
                        "entry_paths",
                        ("entry_paths", i, "steps", j, "order"),
                        "K011",
                        f"steps must be numbered 1, 2, 3, ... in order; expected {j + 1}",
                    )

        diffs = self.data("senior_differentiators")["senior_differentiators"]
        self.unique("senior_differentiators", "senior_differentiators", diffs)
        for i, d in enumerate(diffs):
            cite("senior_differentiators", ("senior_differentiators", i, "source"), d["source"])
            self.ref(
                "senior_differentiators",
                ("senior_differentiators", i, "step"),
                d["step"],
                step_items,
                "step",
            )
        shifts = self.data("leadership_shifts")["leadership_shifts"]
        self.unique("leadership_shifts", "leadership_shifts", shifts)
        for i, s in enumerate(shifts):
            cite("leadership_shifts", ("leadership_shifts", i, "source"), s["source"])
            self.ref(
                "leadership_shifts", ("leadership_shifts", i, "step"), s["step"], step_items, "step"
            )

        questions_raw = self.data("questions")["questions"]
        questions = self.unique("questions", "questions", questions_raw, "field")
        profile_fields = schemas.load("profile")["properties"]
        for i, q in enumerate(questions_raw):
            cite("questions", ("questions", i, "source"), q["source"])
            section, _, name = q["field"].partition(".")
            if name not in profile_fields.get(section, {}).get("properties", {}):
                self.add(
                    "questions",
                    ("questions", i, "field"),
                    "K003",
                    f"'{q['field']}' is not a profile field (see `pmpath schema profile`)",
                )
        if "typical_share" in thresholds and not 0 < thresholds["typical_share"]["value"] <= 1:
            i = raw_thresholds.index(thresholds["typical_share"])
            self.add(
                "thresholds",
                ("thresholds", i, "value"),
                "K012",
                "typical_share is the share of a rung's typical requirements that must hold: "
                "a number above 0 and at most 1",
            )

        imports = self._imports(cite, work_types)

        return Knowledge(
            root=root,
            files=self.files,
            sources=sources,
            thresholds=thresholds,
            levels=tuple(levels),
            steps=steps,
            kwan=kwan,
            tie_break=tuple(spec["tie_break"]),
            work_types=work_types,
            specializations=specializations,
            shapes=shapes,
            skills=tuple(skills),
            problems=tuple(problems),
            entry_paths=entry_paths,
            senior_differentiators=tuple(diffs),
            leadership_shifts=tuple(shifts),
            questions=questions,
            imports=imports,
        )

    def _imports(self, cite, work_types: dict) -> dict:
        """knowledge/imports.yaml, cross-checked against the profile schema and the work types."""
        data = self.data("imports")
        profile = schemas.load("profile")["properties"]

        def enum(section: str, name: str) -> list:
            return profile[section]["properties"][name].get("enum", [])

        self.unique("imports", "titles", data["titles"])
        for key in ("titles", "work", "statements"):
            for i, entry in enumerate(data[key]):
                if "source" in entry:  # else own: true, the articles being silent
                    cite("imports", (key, i, "source"), entry["source"])
        backgrounds = enum("experience", "background")
        for i, t in enumerate(data["titles"]):
            if "background" in t:
                path = ("titles", i, "background")
                self.ref("imports", path, t["background"], backgrounds, "background", listed=True)
        for i, w in enumerate(data["work"]):
            path = ("work", i, "kind")
            self.ref("imports", path, w["kind"], list(work_types), "kind of work", listed=True)
        for i, st in enumerate(data["statements"]):
            section, _, name = st["field"].partition(".")
            prop = profile.get(section, {}).get("properties", {}).get(name)
            wanted = "boolean" if st["combine"] == "any" else "integer"
            if prop is None or prop.get("type") != wanted:
                self.add(
                    "imports",
                    ("statements", i, "field"),
                    "K003",
                    f"'{st['field']}' is not a "
                    + ("yes/no" if wanted == "boolean" else "whole-number")
                    + f" profile field (combine {st['combine']})",
                )
            for j, pattern in enumerate(st["patterns"]):
                numbers = pattern.split().count("{n}")
                if numbers != (0 if wanted == "boolean" else 1):
                    self.add(
                        "imports",
                        ("statements", i, "patterns", j),
                        "K014",
                        "a statement about a number holds exactly one {n}, the number it reads; "
                        "a yes/no statement holds none",
                    )
        for key, name in (("degrees", "degree"), ("fields", "field")):
            allowed = enum("education", name)
            for i, entry in enumerate(data[key]):
                path = (key, i, name)
                self.ref("imports", path, entry[name], allowed, f"education.{name}", listed=True)
        return data

    def _levels(self, thresholds: dict, kwan: dict, cite) -> list[Level]:
        raw = self.data("levels")["levels"]
        self.unique("levels", "levels", raw)
        ids = [lv["id"] for lv in raw]
        if ids != list(contract.LEVELS):
            self.add(
                "levels",
                ("levels",),
                "K009",
                "levels must be exactly, lowest first: " + ", ".join(contract.LEVELS),
            )
        seen_requirements: dict[str, str] = {}
        levels = []
        for i, lv in enumerate(raw):
            expected_kwan = contract.KWAN_LEVEL_OF.get(lv["id"])
            if expected_kwan is not None and lv["kwan_level"] != expected_kwan:
                self.add(
                    "levels",
                    ("levels", i, "kwan_level"),
                    "K009",
                    f"'{lv['id']}' is at Kwan level {expected_kwan} in the contract",
                )
            for key in ("responsibilities", "to_next"):
                for j, item in enumerate(lv[key]):
                    cite("levels", ("levels", i, key, j, "source"), item["source"])
            requirements = []
            for j, req in enumerate(lv["requirements"]):
                path = ("levels", i, "requirements", j)
                cite("levels", (*path, "source"), req["source"])
                if req["id"] in seen_requirements:
                    self.add(
                        "levels", (*path, "id"), "K002", f"duplicate requirement id '{req['id']}'"
                    )
                seen_requirements[req["id"]] = lv["id"]
                if not req["id"].startswith(lv["id"] + "."):
                    self.add(
                        "levels",
                        (*path, "id"),
                        "K010",
                        f"requirement id '{req['id']}' must start with '{lv['id']}.'",
                    )
                description = self._fill(req["description"], thresholds, (*path, "description"))
                requirements.append(
                    Requirement(
                        req["id"],
                        description,
                        req["source"],
                        lv["id"],
                        j,
                        req["weight"],
                        " ".join(req["rationale"].split()),
                    )
                )
            kwan_entry = kwan.get(lv["kwan_level"], {})
            levels.append(
                Level(
                    id=lv["id"],
                    index=i,
                    title=lv["title"],
                    kwan_level=lv["kwan_level"],
                    kwan_name=kwan_entry.get("name", ""),
                    summary=lv["summary"],
                    responsibilities=tuple(lv["responsibilities"]),
                    requirements=tuple(requirements),
                    to_next=tuple(lv["to_next"]),
                )
            )
        return levels

    def _fill(self, text: str, thresholds: dict, path: tuple) -> str:
        def sub(match: re.Match) -> str:
            tid = match.group(1)
            if tid not in thresholds:
                self.add("levels", path, "K003", f"unknown threshold '{{{tid}}}' in description")
                return match.group(0)
            return words.number(thresholds[tid]["value"])

        return PLACEHOLDER.sub(sub, text)


def load_knowledge(root: Traversable) -> tuple[Knowledge | None, list[Problem], list[DataFile]]:
    """Load and check every knowledge file under ``root``."""
    files, problems = read_dir(root, "knowledge")
    by_name = {f.name: f for f in files}
    for f in files:
        if f.name not in KNOWLEDGE_FILES:
            problems.append(
                Problem(
                    f.display, 1, "K008", f"unknown knowledge file '{f.base}' (no schema for it)"
                )
            )
        else:
            problems.extend(schema_problems(f, f"knowledge-{f.name}", "K001"))
    for name in KNOWLEDGE_FILES:
        if name not in by_name:
            problems.append(
                Problem(f"{root}/{name}.yaml", 1, "K007", f"missing knowledge file {name}.yaml")
            )
    if problems:
        return None, problems, files
    checker = _Checker(by_name)
    knowledge = checker.build(str(root))
    return (None if checker.problems else knowledge), checker.problems, files
