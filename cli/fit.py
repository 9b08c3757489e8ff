"""``pmpath fit``: how well a profile fits an opening at a given rung, and why."""

from __future__ import annotations

import json

import click

from pmpath import Profile, load_profile
from pmpath.render import render_fit_text  # loaded on first use

from .audit import audit_log_option, record_decision, refuse_input
from .common import as_of_option, check_opening, knowledge_options, load_engine, opening_options
from .errors import CliError

#: what PROFILE may be: a profile, or a CV or export read as `pmpath import` reads it
FIT_INPUTS = ("profile", "json-resume", "linkedin", "greenhouse")


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
@click.option(
    "--input-format",
    type=click.Choice(FIT_INPUTS),
    default="profile",
    show_default=True,
    help="What PROFILE is: a pmpath profile, or a JSON Resume, a LinkedIn export (folder "
    "or ZIP) or one Greenhouse candidate, turned into a profile as pmpath import does.",
)
@as_of_option
@knowledge_options
@audit_log_option
def command(
    profile: str,
    role: str,
    specialization: str | None,
    fmt: str,
    input_format: str,
    as_of,
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
      pmpath fit cv.json --input-format json-resume --role senior_pm
    """
    refuse_input(audit_log, profile)
    engine = load_engine(knowledge_dir, rules_dir)
    check_opening(engine, role, specialization)
    if input_format == "profile":
        loaded = load_profile(profile)
    else:
        loaded = _imported(profile, input_format, as_of, engine)
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


def _imported(source: str, fmt: str, as_of, engine):
    # start-up time: the importers load only for a CV or export
    from pmpath.imports import import_path

    people = import_path(source, fmt, as_of=as_of, knowledge=engine.knowledge)
    if len(people) != 1:
        raise CliError(
            f"{source} holds {len(people)} candidates; pmpath fit scores one: use pmpath "
            f"batch {source} --input-format {fmt} --role ..."
        )
    return Profile(people[0][0], source)
