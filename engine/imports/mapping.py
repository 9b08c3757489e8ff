"""The rules that make a profile of a `Candidate`, each from knowledge/imports.yaml.

- **Years** are unions of dated positions (overlaps merged, gaps not counted):
  professional years of every position, product years of positions with a
  product title, management years of positions whose title manages people.
  An open-ended position ends on the as-of date. Years are rounded to a tenth.
- **Kinds of product work** come from the words of each product position
  (title, summary, highlights); where positions overlap, each stretch of time
  is shared evenly between the kinds named by the positions covering it; a
  stretch whose positions name no kind is left to no kind. Each kind is rounded
  to a tenth, and never so that the kinds add up to more than the product years.
- **Plain statements** ("launched 3 features", "a team of 5 PMs", "own the
  product vision") give a number or a yes, quoted in the report; nothing else
  is read from free text, and nothing is ever read as a no.
- **Education**: the highest degree whose study type names it, its field from
  the area; a degree finished within the recent-graduate window of the as-of
  date makes a recent graduate.
- `current_title` is the title of the latest open-ended position (else of the
  position that ended last); it is informational, as always.

What none of these give stays unknown: the report lists it, and pmpath asks.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING, Any

from pmpath.imports.readers import Candidate, Position
from pmpath.imports.text import compile_pattern, found, number_of, words
from pmpath.model.memo import memo
from pmpath.source import schemas

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.model.knowledge import Knowledge

DAYS_PER_YEAR = 365.25


def _years(days: float) -> float:
    return round(days / DAYS_PER_YEAR, 1)


def _work_years(days: dict[str, float], product_years: float) -> dict[str, float]:
    """Each kind's years to the nearest tenth, never adding up to more than the product
    years: while they would, the kind rounded up the most gives back a tenth."""
    exact = {k: d / DAYS_PER_YEAR for k, d in days.items()}
    out = {k: round(v, 1) for k, v in exact.items()}
    while out and round(sum(out.values()), 1) > product_years:
        kind = max(out, key=lambda k: (round(out[k] - exact[k], 9), k))
        out[kind] = round(out[kind] - 0.1, 1)
    return out


def _union_days(spans: list[tuple[date, date]]) -> int:
    total, end = 0, None
    for start, stop in sorted(spans):
        if end is None or start > end:
            total += (stop - start).days
            end = stop
        elif stop > end:
            total += (stop - end).days
            end = stop
    return total


class Rules:
    """knowledge/imports.yaml, prepared: titles, work words, statements, degrees."""

    def __init__(self, imports: dict):
        self.titles = imports["titles"]
        self.work = imports["work"]
        self.statements = [
            {**st, "compiled": [compile_pattern(p) for p in st["patterns"]]}
            for st in imports["statements"]
        ]
        self.degrees = imports["degrees"]
        self.fields = imports["fields"]
        self.recent_months = imports["recent_graduate_months"]
        self.degree_order = [d["degree"] for d in self.degrees]

    def title(self, title: str) -> dict:
        """What a title counts as: product, manages_people, background, and the entries read."""
        text = words(title)
        matched = [t for t in self.titles if found(t["phrases"], text)]
        product = matched[0]["product"] if matched else False
        background = next((t["background"] for t in matched if "background" in t), None)
        manages = any(t.get("manages_people", False) for t in matched)
        return {
            "product": product,
            "manages_people": manages,
            "background": background,
            "rule": matched[0]["id"] if matched else None,
            "rules": [t["id"] for t in matched],
        }

    def kinds(self, position: Position) -> dict[str, list[str]]:
        text = words(position.title + " " + position.text)
        out = {}
        for entry in self.work:
            hits = found(entry["words"], text)
            if hits:
                out[entry["kind"]] = hits
        return out


def rules_for(knowledge: Knowledge) -> Rules:
    """The import rules of ``knowledge``, prepared once and kept on it (`pmpath.model.memo`)."""
    return memo(knowledge, "import_rules", lambda k: Rules(k.imports))


def to_profile(candidate: Candidate, rules: Rules, as_of: date) -> tuple[dict, dict]:
    """The profile a candidate's source gives, and the report of how (docs/import.md)."""
    fields: dict[str, dict] = {}
    profile: dict[str, Any] = {}
    skipped = list(candidate.skipped)

    def put(path: str, value: Any, how: str, origin: list[str], note: str) -> None:
        section, _, name = path.rpartition(".")
        (profile.setdefault(section, {}) if section else profile)[name] = value
        fields[path] = {"value": value, "how": how, "from": origin, "note": note}

    if candidate.id:
        put("id", candidate.id, "read", ["id"], "the candidate's id in the source")
    if candidate.name:
        put("name", candidate.name, "read", ["name"], "the name the source gives")

    # -- positions, as of the as-of date -------------------------------------------
    positions: list[tuple[Position, date, dict, dict]] = []
    for p in candidate.positions:
        if p.start > as_of:
            skipped.append(
                {"where": p.where, "why": f"starts after the as-of date ({as_of.isoformat()})"}
            )
            continue
        end = min(p.end, as_of) if p.end is not None else as_of
        kind = rules.title(p.title)
        positions.append((p, end, kind, rules.kinds(p) if kind["product"] else {}))
    assumed = {a["where"].rsplit(".", 1)[0] for a in candidate.assumptions}

    def how_for(used: list[tuple[Position, date, dict, dict]]) -> str:
        return "assumed" if any(p.where in assumed for p, *_ in used) else "inferred"

    def spans(used) -> list[tuple[date, date]]:
        return [(p.start, end) for p, end, _, _ in used]

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'s' * (n != 1)}"

    product = [x for x in positions if x[2]["product"]]
    managing = [x for x in positions if x[2]["manages_people"]]

    def years(path: str, used: list, note: str) -> int:
        """Put the union of ``used`` positions as years at ``path``; its days."""
        days = _union_days(spans(used))
        put(path, _years(days), how_for(used), [p.where for p, *_ in used], note)
        return days

    years(
        "experience.total_years",
        positions,
        f"{plural(len(positions), 'dated position')}, overlaps merged, gaps not counted"
        if positions
        else "no dated positions in the source",
    )
    product_days = years(
        "experience.product_years",
        product,
        f"{plural(len(product), 'position')} with a product-management title, overlaps merged"
        if product
        else "no position has a product-management title",
    )
    if managing:
        years(
            "experience.people_management_years",
            managing,
            f"{plural(len(managing), 'position')} whose title manages people, overlaps merged",
        )
    if positions:
        open_ended = [x for x in positions if x[0].end is None]
        latest = max(open_ended or positions, key=lambda x: (x[1], x[0].start))
        if latest[0].title:
            put(
                "experience.current_title",
                latest[0].title,
                "read",
                [latest[0].where],
                "the current position" if open_ended else "the position that ended last",
            )
        if open_ended:
            put(
                "employment.employed",
                True,
                "inferred",
                [x[0].where for x in open_ended],
                "a position with no end date",
            )
    background_days: dict[str, int] = defaultdict(int)
    background_from: dict[str, list[str]] = defaultdict(list)
    for p, end, kind, _ in positions:
        if not kind["product"] and kind["background"]:
            background_days[kind["background"]] += (end - p.start).days
            background_from[kind["background"]].append(p.where)
    if background_days:
        chosen = sorted(background_days.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        put(
            "experience.background",
            chosen,
            "inferred",
            background_from[chosen],
            "the function with the most years outside product",
        )

    # -- kinds of product work -----------------------------------------------------
    work_years = _work_years(_share_work(product), _years(product_days))
    for kind in ("feature", "growth", "scaling", "pmf_expansion"):
        if kind in work_years:
            origin = [p.where for p, _, _, kinds in product if kind in kinds]
            said = sorted({w for _, _, _, kinds in product for w in kinds.get(kind, [])})
            put(
                f"work.{kind}",
                work_years[kind],
                how_for([x for x in product if kind in x[3]]),
                origin,
                "words: " + ", ".join(said),
            )

    # -- plain statements ----------------------------------------------------------
    leads_from = None
    for st in rules.statements:
        pool = positions if st["positions"] == "all" else [x for x in positions if x[0].end is None]
        values, quotes, origin = [], [], []
        for p, *_ in pool:
            text = words(p.text)
            for pattern in st["compiled"]:
                for match in pattern.finditer(text):
                    values.append(True if st["combine"] == "any" else number_of(match.group(1)))
                    quotes.append(match.group(0))
                    origin.append(p.where)
        if values:
            value = {"sum": sum, "max": max, "any": any}[st["combine"]](values)
            put(
                st["field"],
                value,
                "read",
                origin,
                "stated: " + "; ".join(f'"{q}"' for q in quotes),
            )
            if st["field"] == "scope.pm_reports" and value > 0:
                leads_from = origin
    if leads_from:
        put("scope.leads_pms", True, "inferred", leads_from, "PMs report to them (stated)")

    # -- education -----------------------------------------------------------------
    best = None
    for study in candidate.studies:
        text = words(study.degree)
        degree = next((d["degree"] for d in rules.degrees if found(d["phrases"], text)), None)
        if degree is None:
            skipped.append(
                {"where": study.where, "why": f"study type {study.degree!r} names no degree"}
                if study.degree
                else {"where": study.where, "why": "no study type"}
            )
            continue
        rank = rules.degree_order.index(degree)
        if best is None or rank < best[0]:
            best = (rank, degree, study)
    if best is not None:
        _, degree, study = best
        put("education.degree", degree, "inferred", [study.where], f"study type {study.degree!r}")
        area = words(study.area + " " + study.degree)
        field_id = next((f["field"] for f in rules.fields if found(f["phrases"], area)), None)
        if field_id is None and study.area:
            field_id = "other"
        if field_id is not None:
            put("education.field", field_id, "inferred", [study.where], f"area {study.area!r}")
    ended = [s for s in candidate.studies if s.end is not None and s.end <= as_of]
    if ended:
        last = max(ended, key=lambda s: s.end)
        months = (as_of.year - last.end.year) * 12 + as_of.month - last.end.month
        put(
            "education.recent_graduate",
            months <= rules.recent_months,
            "inferred",
            [last.where],
            f"finished {last.end.isoformat()}, {months} months before the as-of date "
            f"(recent: within {rules.recent_months})",
        )

    report = {
        "source": candidate.source,
        "format": candidate.format,
        "as_of": as_of.isoformat(),
        "fields": {k: fields[k] for k in _field_order(fields)},
        "unknown": [f for f in _all_fields() if f not in fields],
        "positions": [
            {
                "where": p.where,
                "title": p.title,
                "company": p.company,
                "start": p.start.isoformat(),
                "end": p.end.isoformat() if p.end else None,
                "title_rule": kind["rule"],
                "counts_as": [
                    name
                    for name, yes in (
                        ("professional", True),
                        ("product", kind["product"]),
                        ("management", kind["manages_people"]),
                    )
                    if yes
                ],
                "work": {k: v for k, v in sorted(kinds.items())},
            }
            for p, _, kind, kinds in positions
        ],
        "skipped": skipped,
        "assumptions": list(candidate.assumptions),
    }
    return _ordered({"schema_version": 1, **profile}), report


def _share_work(product: list[tuple[Position, date, dict, dict]]) -> dict[str, float]:
    """Days of each kind of work: each stretch shared evenly by the kinds covering it."""
    edges = sorted({d for p, end, _, _ in product for d in (p.start, end)})
    out: dict[str, float] = defaultdict(float)
    for left, right in itertools.pairwise(edges):
        kinds = sorted(
            {k for p, end, _, ks in product if p.start <= left and end >= right for k in ks}
        )
        for kind in kinds:
            out[kind] += (right - left).days / len(kinds)
    return dict(out)


def _all_fields() -> list[str]:
    schema = schemas.load("profile")["properties"]
    out = []
    for section, prop in schema.items():
        if prop.get("type") == "object":
            out += [f"{section}.{name}" for name in prop["properties"]]
    return out


def _field_order(fields: dict) -> list[str]:
    order = ["id", "name", *_all_fields()]
    return [f for f in order if f in fields]


def _ordered(profile: dict) -> dict:
    """Sections and fields in the profile schema's order."""
    schema = schemas.load("profile")["properties"]
    out: dict[str, Any] = {}
    for key, prop in schema.items():
        if key not in profile:
            continue
        if prop.get("type") == "object":
            out[key] = {n: profile[key][n] for n in prop["properties"] if n in profile[key]}
        else:
            out[key] = profile[key]
    return out


__all__ = ["Rules", "rules_for", "to_profile"]
