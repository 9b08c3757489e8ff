"""One error base class with stable codes, and `Problem`, an error as data.

Codes are part of the contract: tools match on them. Families:

- ``P0xx`` a profile (input) is unreadable or invalid (``ProfileError``);
- ``K0xx`` a knowledge file is wrong (schema, duplicates, references, coverage);
- ``R0xx`` a rules file is wrong; ``R1xx`` a rule is a durable_rules hazard;
  ``R2xx`` a rule's own test case fails (``KnowledgeError`` lists them all);
- ``F0xx`` a role fit was asked for an unknown role or specialization (``RoleError``);
- ``B0xx`` a batch run cannot start or continue (``BatchError``);
- ``D0xx`` a diff cannot start: the base revision (``D001``) or ``--fail-on`` (``D002``)
  (``pmpath.diff.DiffError``);
- ``E0xx`` the inference engine itself failed (``EngineError``); ``E003`` the worker
  pool gave up (workers kept stalling or dying) or lost track of records;
- ``I0xx`` a CV or export cannot be imported (``SourceError``): not the format
  it was read as (``I001``), unreadable JSON or CSV (``I002``), an export
  folder without its positions (``I003``), a date that is not a date
  (``I004``), a position that ends before it starts (``I005``);
- ``S0xx`` a request to ``pmpath serve`` cannot be answered as sent, or the
  service cannot start (``ServeError``, with the HTTP status it answers with).

The full list, with an example of each, is in docs/knowledge.md (K, R) and
docs/batch.md (P014, B, E002).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong, located: ``file:line: code: message``."""

    file: str
    line: int
    code: str
    message: str
    path: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.code}: {self.message}"

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "file": self.file,
            "line": self.line,
            "path": self.path,
            "message": self.message,
        }


class PmpathError(Exception):
    """Base of every error pmpath raises on purpose. ``code`` is stable."""

    code = "E000"
    exit_code = 1

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def to_dict(self) -> dict:
        return {"code": self.code, "path": "", "message": self.message}

    def __reduce__(self):
        # every subclass crosses process boundaries whole (worker pools), whatever
        # its constructor takes
        return (_rebuild, (type(self), self.args, self.__dict__))


class ProfileError(PmpathError):
    """A profile cannot be read or is not a valid v1 profile.

    ``path`` is the dotted field path (``experience.product_years``), empty when
    the problem is the whole document; ``file`` and ``line`` locate it when the
    profile came from a file.
    """

    code = "P000"

    def __init__(
        self,
        message: str,
        *,
        code: str,
        path: str = "",
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str = "",
    ):
        super().__init__(message, code=code)
        self.path = path
        self.file = file
        self.line = line
        self.column = column
        self.hint = hint

    def located(self, file: str | None = None, line: int | None = None) -> ProfileError:
        """A copy of this error with a file (and line) attached."""
        out = copy.copy(self)
        out.file = file if file is not None else self.file
        out.line = line if line is not None else self.line
        return out

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line:
                where += f":{self.line}"
                if self.column:
                    where += f":{self.column}"
            where += ": "
        field_part = f"{self.path}: " if self.path else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.code}: {field_part}{self.message}{hint}"

    def to_dict(self) -> dict:
        out = {"code": self.code, "path": self.path, "message": self.message}
        if self.hint:
            out["message"] = f"{self.message} ({self.hint})"
        if self.line:
            out["line"] = self.line
        return out


class KnowledgeError(PmpathError):
    """Knowledge or rules failed validation; ``problems`` lists every finding."""

    code = "K000"

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        first = self.problems[0] if self.problems else None
        summary = str(first) if first else "knowledge is invalid"
        if len(self.problems) > 1:
            summary += f" (and {len(self.problems) - 1} more)"
        super().__init__(summary, code=first.code if first else "K000")

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class EngineError(PmpathError):
    """The inference engine failed: a bug or a broken ruleset, never bad input."""

    code = "E001"


class AuditError(PmpathError):
    """The audit log cannot be opened, written or read.

    Codes: ``A001`` cannot open, ``A002`` cannot write, ``A003`` a record is
    not JSON, ``A004`` a record cannot be encoded (not plain JSON data).
    """

    code = "A001"


class BatchError(PmpathError):
    """The batch run itself cannot go on (not one bad record: those become error records)."""

    code = "B001"


class DiffError(PmpathError):
    """A diff cannot start: a base revision, a directory or an expression is wrong.

    Codes: ``D001`` the base revision cannot be read from git, ``D002`` a
    ``--fail-on`` expression is malformed.
    """

    code = "D001"


class RoleError(PmpathError, ValueError):
    """An opening names a role or specialization pmpath does not know.

    Codes: ``F001`` unknown (or unassessable) role level, ``F002`` unknown
    specialization. The message lists the valid choices.
    """

    code = "F001"

    def __init__(self, message: str, *, code: str = "F001", param: str = "role"):
        super().__init__(message, code=code)
        self.param = param

    def to_dict(self) -> dict:
        return {"code": self.code, "path": self.param, "message": self.message}


class SourceError(PmpathError):
    """A CV, LinkedIn export or ATS export cannot be turned into a profile.

    ``file`` is the source, ``where`` the place in it (``work[2].startDate``,
    ``Positions.csv:4``), empty for the whole source. Codes are listed in
    `pmpath.errors` (the module docstring) and docs/import.md.
    """

    code = "I001"

    def __init__(self, message: str, *, code: str = "I001", file: str = "", where: str = ""):
        super().__init__(message, code=code)
        self.file = file
        self.where = where

    def __str__(self) -> str:
        place = ": ".join(p for p in (self.file, self.where) if p)
        return f"{place}: {self.code}: {self.message}" if place else f"{self.code}: {self.message}"

    def to_dict(self) -> dict:
        return {"code": self.code, "path": self.where, "message": self.message}


class ServeError(PmpathError):
    """A request to the HTTP service cannot be answered as sent, or the service cannot start.

    ``status`` is the HTTP status the service answers with; ``path`` names the
    member of the request that is wrong (``input``, ``role``, ``inputs``),
    empty for the whole request. Codes (docs/serving.md lists them all):

    ``S001`` 400 the body is not JSON (or not UTF-8); ``S002`` 400 the body is
    JSON but not the request envelope (a member missing, unknown or of the wrong
    type), or a header is malformed; ``S003`` 401 no token, or the wrong one;
    ``S004`` 413 the body is over ``--max-body``; ``S005`` 413 a batch has more
    items than ``--max-batch``; ``S006`` 503 the engine is not loaded yet;
    ``S007`` 404 no such path; ``S008`` 405 the path does not take that method;
    ``S010`` the service cannot start (an address it may not or cannot listen on,
    a token file it cannot read).
    """

    code = "S001"

    def __init__(self, message: str, *, code: str = "S001", status: int = 400, path: str = ""):
        super().__init__(message, code=code)
        self.status = status
        self.path = path

    def to_dict(self) -> dict:
        return {"code": self.code, "path": self.path, "message": self.message}


class DocumentError(Exception):
    """A document could not be read or parsed. ``kind`` says which way."""

    def __init__(
        self,
        kind: str,
        message: str,
        line: int | None = None,
        column: int | None = None,
        hint: str = "",
    ):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
        #: how to fix it, when there is something useful to say
        self.hint = hint


class AnswerError(ValueError):
    """An answer that does not fit the field; the message says what does."""


#: the code registry: a code's family (its letter) -> the class that raises it.
#: ``W`` codes are warnings inside a result, never raised.
FAMILIES: dict[str, type[PmpathError]] = {
    "P": ProfileError,
    "K": KnowledgeError,
    "R": KnowledgeError,
    "F": RoleError,
    "B": BatchError,
    "D": DiffError,
    "A": AuditError,
    "E": EngineError,
    "S": ServeError,
    "I": SourceError,
}


def error_class(code: str) -> type[PmpathError]:
    """The class that raises ``code`` (``P005`` -> `ProfileError`); `PmpathError` if none."""
    return FAMILIES.get(code[:1], PmpathError)


def _rebuild(cls: type, args: tuple, state: dict) -> PmpathError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error
