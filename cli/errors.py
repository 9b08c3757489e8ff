"""How library errors become command-line errors: one clear line, exit code on the class."""

from __future__ import annotations

import sys

import click

from pmpath.errors import KnowledgeError, PmpathError
from pmpath.words import visible


class CliError(click.ClickException):
    """A `PmpathError` shown as ``error: <what is wrong>`` on stderr; its exit code is
    the error class's own (``PmpathError.exit_code``, 1), as click's exceptions do."""

    exit_code = 1

    def __init__(self, error: PmpathError | str):
        self.error = error
        super().__init__(str(error))
        if isinstance(error, PmpathError):
            self.exit_code = error.exit_code

    def format_message(self) -> str:
        return self.message

    def show(self, file=None) -> None:
        err = sys.stderr if file is None else file
        if isinstance(self.error, KnowledgeError):
            for problem in self.error.problems:
                click.echo(visible(problem), file=err)
            n = len(self.error.problems)
            click.echo(
                f"error: knowledge or rules are invalid ({n} problem{'s' * (n != 1)})", file=err
            )
        else:  # one line, whatever the input put in the message
            click.echo(f"error: {visible(self.message)}", file=err)


class InternalError(click.ClickException):
    """An unexpected failure: a bug. Exit code 3; ``--debug`` shows the traceback."""

    exit_code = 3

    def show(self, file=None) -> None:
        err = sys.stderr if file is None else file
        click.echo(
            f"internal error: {visible(self.message)}\n"
            "This is a bug in pmpath. Run the same command with --debug for the traceback.",
            file=err,
        )
