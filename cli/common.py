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
