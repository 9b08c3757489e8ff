"""Options and helpers shared by the commands."""

from __future__ import annotations

import contextlib
import functools
import os
import stat
import tempfile
from dataclasses import dataclass
from datetime import date

import click

from pmpath import Engine
from pmpath.errors import PmpathError, RoleError
from pmpath.words import parse_size

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
    try:
        return Engine.load(knowledge_dir, rules_dir, **kwargs)
    except PmpathError as exc:
        raise CliError(exc) from exc


def pool_options(func):
    """``--workers``, ``--input-format`` and the hidden ``--chunk-size``: how a pool
    of profiles is read and scored (``pmpath batch`` and ``pmpath diff``)."""
    # start-up time: pmpath.batch (readers, pool) loads only for the commands that use it
    from pmpath.batch import INPUT_FORMATS

    func = click.option("--chunk-size", type=click.IntRange(min=1), default=64, hidden=True)(func)
    func = click.option(
        "--input-format",
        type=click.Choice(INPUT_FORMATS),
        default="auto",
        show_default=True,
        help="What stdin and files with other extensions hold (auto: by extension; - is "
        "JSONL); json-resume, linkedin or greenhouse: CVs and exports, read as pmpath import "
        "reads them.",
    )(func)
    return click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=None,
        help="Worker processes (default: this machine's cores, or 1 for an input under 512 KB; "
        "1 scores in this process).",
    )(func)


class SizeParam(click.ParamType):
    """A size in bytes: ``256KiB``, ``1MiB``, ``500KB`` or a number of bytes."""

    name = "size"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class AsOf(click.ParamType):
    """``--as-of``: a day, YYYY-MM-DD."""

    name = "date"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a date; write it as YYYY-MM-DD (2026-12-02)", param, ctx)


def as_of_option(func):
    """``--as-of DATE``: the day open-ended positions of a CV or export end."""
    return click.option(
        "--as-of",
        type=AsOf(),
        default=None,
        help="With a CV or export (--input-format json-resume|linkedin|greenhouse): the day "
        "open-ended positions end (default today; the import report names it).",
    )(func)


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
    if role is None:
        if specialization is not None:
            raise click.UsageError("--specialization goes with --role (the opening's rung)")
        return
    try:
        engine.check_opening(role, specialization)
    except RoleError as exc:
        raise click.BadParameter(exc.message, param_hint=f"'--{exc.param}'") from None


def write_file(path: str, text: str, *, what: str, replace: bool = True) -> None:
    """Write ``text`` to ``path`` whole or not at all: into a temporary file beside it,
    then renamed over it, so a full disk or a kill never leaves a torn or empty file.

    ``replace=False`` refuses an existing file (`CliError`), atomically. A path that
    is not a regular file (a terminal, ``/dev/null``, a pipe) is written directly.
    Every failure is one `CliError` line: the file, what could not be written, why.
    """
    data = text.encode("utf-8")
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise CliError(f"{path}: is a directory; give a file name")
    if mode is not None and not replace and stat.S_ISREG(mode):
        raise CliError(f"{path}: already exists; use --force to overwrite it")
    try:
        if mode is not None and not stat.S_ISREG(mode):
            with open(path, "wb") as fh:
                fh.write(data)
            return
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=folder)
    except FileNotFoundError:
        folder = os.path.dirname(path) or "."
        raise CliError(f"{path}: cannot write {what}: folder {folder} does not exist") from None
    except OSError as exc:
        raise CliError(f"{path}: cannot write {what}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if the file appeared meanwhile
            os.unlink(tmp)
    except FileExistsError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise CliError(f"{path}: already exists; use --force to overwrite it") from None
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise CliError(f"{path}: cannot write {what}: {exc.strerror or exc}") from None
