"""``pmpath fit``: how well a profile fits an opening at a given rung, and why."""

from __future__ import annotations

import json

import click

from pmpath import load_profile
from pmpath.render import render_fit_text  # loaded on first use

from .audit import audit_log_option, record_decision, refuse_input
from .common import check_opening, knowledge_options, load_engine, opening_options


@click.command("fit")
@click.argument("profile", metavar="PROFILE")
@opening_options(required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text to read; json (fit output v1, `pmpath/schemas/fit.schema.json`) for tools.",
)
@knowledge_options
@audit_log_option
def command(
    profile: str,
    role: str,
    specialization: str | None,
    fmt: str,
    knowledge_dir: str | None,
    rules_dir: str | None,
    audit_log,
) -> None:
    """Score PROFILE (YAML or JSON; - for stdin) against an opening at rung LEVEL.

    Prints a score from 0 to 100 and every requirement of the role's rung and
    of the rungs below it, met or missing, with the rule, the values it read
    and the source; then the candidate's own level and specialization and, with
    --specialization, whether their kind of product work matches the opening's.

    \b
    Examples:
      pmpath fit jane.yaml --role senior_pm
      pmpath fit jane.yaml --role senior_pm --specialization growth --format json
    """
    refuse_input(audit_log, profile)
    engine = load_engine(knowledge_dir, rules_dir)
    check_opening(engine, role, specialization)
    loaded = load_profile(profile)
    fit = engine.fit(loaded, role, specialization)
    out = fit.to_dict()
    # Record before showing: nothing is shown that the audit log does not hold.
    record_decision(
        audit_log,
        "fit",
        loaded,
        out,
        engine.knowledge_version,
        request={"role": role, "specialization": specialization},
    )
    if fmt == "json":
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        click.echo(render_fit_text(fit))
