"""Options and helpers shared by the commands."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import click

from pmpath import Engine

from .errors import CliError


@dataclass
class Settings:
    debug: bool = False


def knowledge_options(func):
    """``--knowledge DIR`` and ``--rules DIR``: use a working copy instead of the shipped one."""

    @click.option(
        "--knowledge",
        "knowledge_dir",
        type=click.Path(exists=True, file_okay=False, dir_okay=True),
        default=None,
        help="Knowledge directory to use instead of the one shipped with pmpath.",
    )
    @click.option(
        "--rules",
        "rules_dir",
        type=click.Path(exists=True, file_okay=False, dir_okay=True),
        default=None,
        help="Rules directory to use instead of the one shipped with pmpath.",
    )
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


def load_engine(knowledge_dir: str | None, rules_dir: str | None, **kwargs) -> Engine:
    """Load (and validate) the engine, turning problems into a command-line error."""
    from pmpath.errors import PmpathError

    try:
        return Engine.load(knowledge_dir, rules_dir, **kwargs)
    except PmpathError as exc:
        raise CliError(exc) from exc


def opening_options(required: bool):
    """``--role LEVEL`` and ``--specialization S``: the opening a candidate is fitted to."""

    def decorate(func):
        func = click.option(
            "--specialization",
            default=None,
            metavar="S",
            help="The kind of PM the opening asks for: core, growth, platform or innovation"
            + ("" if required else " (with --role)")
            + ".",
        )(func)
        return click.option(
            "--role",
            required=required,
            metavar="LEVEL",
            help="The rung of the opening: apm, pm, senior_pm, director, vp or cpo"
            + (
                "."
                if required
                else "; adds each candidate's fit (JSONL: a fit document, CSV: fit columns)."
            ),
        )(func)

    return decorate


def check_opening(engine: Engine, role: str | None, specialization: str | None) -> None:
    """A bad --role or --specialization is a usage error (exit 2) naming the choices."""
    from pmpath.fit import RoleError, check_role

    if role is None:
        if specialization is not None:
            raise click.UsageError("--specialization goes with --role (the opening's rung)")
        return
    try:
        check_role(engine.knowledge, role, specialization)
    except RoleError as exc:
        raise click.BadParameter(exc.message, param_hint=f"'--{exc.param}'") from None
