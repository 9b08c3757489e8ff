"""A role fit (`Fit`) as text for a terminal: the score, every requirement of the
role's rung and the rungs below with why, the specialization match, the formula."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pmpath.words import show_value, visible

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.results import Fit

OK, NO, UNKNOWN = "✓", "✗", "?"


def render_text(fit: Fit) -> str:
    """The fit as text a recruiter reads at a glance (a pure function of the fit)."""
    d = fit.to_dict()
    role = d["role"]
    cand = d["candidate"]
    lines = []
    title = role["title"] + (
        f" ({role['specialization']['title']})" if role["specialization"] else ""
    )
    headline = f"Fit for {title}: {fit.score}/100"
    if fit.unknown:
        n = len(fit.unknown)
        headline += (
            f" on what is known; {fit.score_if_confirmed}/100 if the {n} requirement"
            f"{'s' * (n != 1)} not known yet hold"
        )
    lines.append(headline)
    name, ident = visible(d["profile"]["name"]), visible(d["profile"]["id"])
    who = name or ident or "This candidate"
    if name and ident:
        who += f" ({ident})"
    lines.append(
        f"{who} stands at {cand['level']['title']} (Kwan {cand['level']['kwan_level']}, "
        f"{cand['level']['kwan_name']}), {cand['specialization']['title']}, "
        f"{cand['shape']['title']}: {_relation(cand['relation'], role['title'])}."
    )
    breakdown = d["score_breakdown"]
    role_rung, *lower = reversed(d["rungs"])
    bucket = breakdown["role_rung"]
    lines.append("")
    lines.append(
        f"{role_rung['title']}: {role_rung['met']} of {role_rung['total']} met "
        f"({_pct(bucket['weight'])}% of the score)"
    )
    lines.extend(_requirements(role_rung, "  "))
    if lower:
        bucket = breakdown["lower_rungs"]
        lines.append("")
        lines.append(
            f"Rungs below: {bucket['met']} of {bucket['total']} met "
            f"({_pct(bucket['weight'])}% of the score; the ladder is cumulative)"
        )
        for rung in lower:
            lines.append(f"  {rung['title']}: {rung['met']} of {rung['total']}")
            lines.extend(_requirements(rung, "    "))
    match = d["specialization_match"]
    lines.append("")
    if match is None:
        lines.append(
            f"Specialization: none asked for; the candidate is a {cand['specialization']['title']}."
        )
    else:
        mark = OK if match["matches"] else NO
        deduction = f" (−{show_value(match['deduction'])})" if match["deduction"] else ""
        lines.append(f"Specialization: {mark} {match['status']}{deduction}")
        lines.append(f"  {match['explanation']}")
        for problem in match["problems"]:
            lines.append(f"  · {problem['title']}: {problem['description']} [{problem['source']}]")
            lines.append(f"    Advice: {problem['advice']}")
    lines.append("")
    lines.append(f"Score: {breakdown['formula']}")
    if fit.unknown:
        lines.append(f"  If the unknown requirements hold: {breakdown['if_confirmed']['formula']}")
    lines.append(
        "  The role's rung and the rungs below are weighted, and a specialization gap is "
        "deducted, as set in knowledge/thresholds.yaml (fit_*)."
    )
    for warning in d["warnings"]:
        lines.append(f"warning: {warning}")
    return "\n".join(lines)


def _requirements(rung: dict, indent: str) -> list[str]:
    lines = []
    for req in rung["requirements"]:
        mark = OK if req["met"] else UNKNOWN if req["status"] == "unknown" else NO
        rules = [r["rule"] for r in req["evidence"] if r["holds"] == req["met"]]
        lines.append(f"{indent}{mark} {req['description']} [{req['source']}]")
        lines.append(f"{indent}    {req['why']} · {', '.join(rules) or 'no rule'}")
    return lines


def _relation(relation: str, role_title: str) -> str:
    return {
        "below": f"below the {role_title} rung",
        "at": f"at the {role_title} rung",
        "above": f"above the {role_title} rung",
    }[relation]


def _pct(weight: float) -> str:
    return show_value(round(weight * 100, 2))
