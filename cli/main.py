"""The ``pmpath`` command: a group of thin commands over the library.

Every expected failure is a `PmpathError`, shown as one line on stderr with exit
code 1; usage errors exit 2 (click); an unexpected failure is an internal
error (exit 3) whose traceback only ``--debug`` shows.
"""

from __future__ import annotations

import importlib
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
        except (KeyboardInterrupt, BrokenPipeError):
            raise
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


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="pmpath")
    except BrokenPipeError:  # `pmpath ... | head`: stop quietly
        sys.stderr.close()
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
