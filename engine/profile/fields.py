"""Profile facts: the profile's sections, plus the `derived` section, as rules see them.

Rules name a section and its fields (``scope: {pm_reports: {gte: 2}}``). For
durable_rules the whole profile is asserted as one flat fact,
``{"t": "profile", "scope__pm_reports": 2, ...}``: one assertion per profile
instead of one per section, and one pattern per rule instead of a join per
section. The reference evaluator reads the sections directly.

The `derived` section holds the few aggregates a Rete pattern cannot compute by
comparing a field with a constant: the total years of product work, the
dominant kind of work and how many kinds have been practised. Their
parameters (tie-break order, the breadth threshold) come from knowledge.
"""

from __future__ import annotations

from pmpath.source import schemas

SECTIONS = (
    "experience",
    "education",
    "employment",
    "work",
    "scope",
    "strengths",
    "track_record",
    "goals",
)

WORK_KINDS = ("feature", "growth", "scaling", "pmf_expansion")

DERIVED_FIELDS = {
    "work_total_years": "Years across all four kinds of product work (work.*), added up.",
    "dominant_work": (
        "The kind of product work with the most years: feature, growth, scaling or "
        "pmf_expansion; ties go to the kind listed first in knowledge/specializations.yaml "
        "`tie_break`; 'none' when no product work is recorded."
    ),
    "dominant_work_years": "Years spent in the dominant kind of work (0 with none).",
    "kinds_practised": (
        "How many kinds of product work have at least `breadth_min_years` years "
        "(knowledge/thresholds.yaml)."
    ),
}


def _section_fields() -> dict[str, tuple[str, ...]]:
    props = schemas.load("profile")["properties"]
    out = {name: tuple(props[name]["properties"]) for name in SECTIONS}
    out["derived"] = tuple(DERIVED_FIELDS)
    return out


SECTION_FIELDS = _section_fields()


def derive(profile: dict, tie_break: tuple[str, ...], breadth_min_years: float) -> dict:
    """The `derived` fact's fields for a normalised profile."""
    work = profile["work"]  # a kind not given counts for nothing here (see questions)
    total = round(sum(work.get(k, 0) for k in WORK_KINDS), 4)
    dominant, dominant_years = "none", 0
    for kind in tie_break:  # strict > keeps the earliest kind on a tie
        years = work.get(kind, 0)
        if years > dominant_years:
            dominant, dominant_years = kind, years
    practised = sum(
        1 for k in WORK_KINDS if work.get(k, 0) >= breadth_min_years and work.get(k, 0) > 0
    )
    return {
        "work_total_years": total,
        "dominant_work": dominant,
        "dominant_work_years": dominant_years,
        "kinds_practised": practised,
    }


def sections(profile: dict, derived: dict) -> dict[str, dict]:
    """Section name -> fields, `derived` included: what the rules read."""
    out = {name: profile[name] for name in SECTIONS}
    out["derived"] = derived
    return out
