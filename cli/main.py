"""The ``pmpath`` command: a group of thin commands over the library.

Every expected failure is a `PmpathError`, shown as one line on stderr with exit
code 1; usage errors exit 2 (click); an unexpected failure is an internal
error (exit 3) whose traceback only ``--debug`` shows.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys

import click

from pmpath import __version__
from pmpath.errors import PmpathError

from .common import Settings
from .errors import CliError, InternalError

#: command name -> module under pmpath.cli defining it as ``command``. Loaded
#: on first use, so ``pmpath recommend`` never imports what ``batch`` needs.
COMMANDS = {
    "recommend": "recommend",
    "batch": "batch",
    "fit": "fit",
    "diff": "diff",
    "serve": "serve",
    "import": "import_cmd",
    "init": "init",
    "schema": "schema",
    "guide": "guide",
    "validate": "validate",
}


class PmpathGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if self.get_command(ctx, name) is not None]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module_name = COMMANDS.get(name)
        if module_name is None:
            return None
        try:
            module = importlib.import_module(f"{__package__}.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__package__}.{module_name}":
                return None  # not built yet
            raise
        return module.command

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except PmpathError as exc:
            raise CliError(exc) from exc
        except KeyboardInterrupt:
            raise
        except BrokenPipeError:  # click would make this exit 1, like a failed record
            raise _ClosedPipe from None
        except OSError as exc:  # a full disk, a read-only folder: the user's situation
            raise CliError(_os_problem(exc)) from exc
        except Exception as exc:
            settings = ctx.find_object(Settings)
            if settings is not None and settings.debug:
                raise
            raise InternalError(f"{type(exc).__name__}: {exc}") from exc


@click.group(cls=PmpathGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pmpath")
@click.option("--debug", is_flag=True, help="Show the traceback of unexpected errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Where you stand on the product manager career path, what to do next, and why."""
    ctx.obj = Settings(debug=debug)


class _ClosedPipe(Exception):
    """Standard output's reader went away (`pmpath batch ... | head -1`)."""


#: how a command that stopped because its reader went away (`pmpath ... | head`)
#: exits: as if killed by SIGPIPE, the status shells report for such a command
CLOSED_PIPE_EXIT = 128 + 13


def _os_problem(exc: OSError) -> str:
    if exc.filename is None:  # a write to stdout (its file problems carry their name)
        return f"cannot write to standard output: {exc.strerror or exc}"
    return f"{exc.filename}: {exc.strerror or exc}"


def main(argv: list[str] | None = None) -> None:
    try:
        try:
            # not standalone: click returns the exit code of ctx.exit (--help, --version)
            code = cli.main(args=argv, prog_name="pmpath", standalone_mode=False)
        finally:
            sys.stdout.flush()  # a write that fails here is one more output problem
    except SystemExit as exc:  # a command's own status (batch's 1 and 130, diff's 4)
        _exit(exc.code if isinstance(exc.code, int) else 1)
    except click.exceptions.Exit as exc:
        _exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        _exit(exc.exit_code)
    except click.Abort:
        click.echo("Aborted!", file=sys.stderr)
        _exit(1)
    except KeyboardInterrupt:
        click.echo("Aborted!", file=sys.stderr)
        _exit(130)
    except (_ClosedPipe, BrokenPipeError):  # `pmpath ... | head`: the reader has enough
        _exit(CLOSED_PIPE_EXIT)
    except OSError as exc:  # stdout on a full disk, say
        CliError(_os_problem(exc)).show()
        _exit(1)
    _exit(code if isinstance(code, int) else 0)


def _exit(code: int | None) -> None:
    """Exit with ``code``, never failing on the way out (a closed or full stdout)."""
    with contextlib.suppress(OSError):
        sys.stdout.flush()
    with contextlib.suppress(OSError):  # nothing more may go to a broken stdout
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.exit(code or 0)


if __name__ == "__main__":  # pragma: no cover
    main()
