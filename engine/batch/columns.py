"""CSV columns of a batch record: each column's header and value, and formula-safe cells.

`neutralise_cell` prefixes a cell that a spreadsheet would read as a formula
(``=``, ``+``, ``-``, ``@``, tab, CR) with ``'``; `restore_cell` undoes it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pmpath.batch.records import Outcome

if TYPE_CHECKING:  # pragma: no cover
    pass


@dataclass(frozen=True)
class Column:
    """A column of ``--format csv``: a name and how to get its value from an `Outcome`.

    ``value`` must be a module-level function (the column list travels to workers).
    """

    name: str
    value: Callable[[Outcome], Any]


def _col_id(o: Outcome) -> Any:
    return o.id


def _col_ok(o: Outcome) -> Any:
    return o.error is None


def _col_level(o: Outcome) -> Any:
    return o.recommendation.level if o.recommendation else None


def _col_kwan(o: Outcome) -> Any:
    return o.recommendation.kwan_level if o.recommendation else None


def _col_specialization(o: Outcome) -> Any:
    return o.recommendation.specialization if o.recommendation else None


def _col_shape(o: Outcome) -> Any:
    return o.recommendation.shape if o.recommendation else None


def _col_next_level(o: Outcome) -> Any:
    return o.recommendation.next_level if o.recommendation else None


def _step(i: int, o: Outcome) -> Any:
    if o.recommendation is None:
        return None
    steps = o.recommendation.steps
    return steps[i] if i < len(steps) else None


def _col_step_1(o: Outcome) -> Any:
    return _step(0, o)


def _col_step_2(o: Outcome) -> Any:
    return _step(1, o)


def _col_step_3(o: Outcome) -> Any:
    return _step(2, o)


def _col_error(o: Outcome) -> Any:
    return o.error["code"] if o.error else None


def _col_error_path(o: Outcome) -> Any:
    return o.error.get("path") if o.error else None


def _col_error_message(o: Outcome) -> Any:
    return o.error.get("message") if o.error else None


def _col_source(o: Outcome) -> Any:
    return o.source


def _col_line(o: Outcome) -> Any:
    return o.line


def _col_certainty(o: Outcome) -> Any:
    return o.recommendation.certainty if o.recommendation else None


def _col_possible_level(o: Outcome) -> Any:
    return o.recommendation.possible if o.recommendation else None


def _col_questions(o: Outcome) -> Any:
    if o.recommendation is None:
        return None
    return " ".join(q["field"] for q in o.recommendation.questions)


#: the flat table of ``--format csv``; more columns (role fit) are appended, never reordered
CSV_COLUMNS: tuple[Column, ...] = (
    Column("id", _col_id),
    Column("ok", _col_ok),
    Column("level", _col_level),
    Column("kwan_level", _col_kwan),
    Column("specialization", _col_specialization),
    Column("shape", _col_shape),
    Column("next_level", _col_next_level),
    Column("step_1", _col_step_1),
    Column("step_2", _col_step_2),
    Column("step_3", _col_step_3),
    Column("error", _col_error),
    Column("error_path", _col_error_path),
    Column("error_message", _col_error_message),
    Column("source", _col_source),
    Column("line", _col_line),
    # spec section 6: the level's certainty, the highest rung not ruled out, and the
    # fields whose answers would place the person (paths separated by spaces)
    Column("certainty", _col_certainty),
    Column("possible_level", _col_possible_level),
    Column("questions", _col_questions),
)


def _col_fit_score(o: Outcome) -> Any:
    return o.fit.score if o.fit else None


def _col_fit_relation(o: Outcome) -> Any:
    return o.fit.relation if o.fit else None


def _col_fit_specialization(o: Outcome) -> Any:
    match = o.fit.specialization_match if o.fit else None
    return match.status if match else None


def _col_fit_missing(o: Outcome) -> Any:
    return " ".join(r.id for r in o.fit.unmet) if o.fit else None


def _col_fit_if_confirmed(o: Outcome) -> Any:
    return o.fit.score_if_confirmed if o.fit else None


def _col_fit_unknown(o: Outcome) -> Any:
    return " ".join(r.id for r in o.fit.unknown) if o.fit else None


#: appended to the table with ``--role``: the score, where the candidate stands
#: against the role (below, at, above), the specialization match (with
#: ``--specialization``), and the ids of the unmet requirements
FIT_COLUMNS: tuple[Column, ...] = (
    Column("fit_score", _col_fit_score),
    Column("fit_relation", _col_fit_relation),
    Column("fit_specialization", _col_fit_specialization),
    Column("fit_missing", _col_fit_missing),
    # spec section 6: the score if every unknown requirement held, and which those are
    # (fit_missing lists every requirement not met, unknown ones included)
    Column("fit_score_if_confirmed", _col_fit_if_confirmed),
    Column("fit_unknown", _col_fit_unknown),
)


#: a cell starting with one of these is a formula to a spreadsheet (OWASP, "CSV
#: injection"); a leading ' is included so that neutralising stays reversible
_FORMULA_START = frozenset("=+-@\t\r'")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:  # scores and counts: never negative, never a formula
        return str(value)
    # one physical line per record: a resumed run finds records by lines
    text = str(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return neutralise_cell(text)


def neutralise_cell(text: str) -> str:
    """``text`` safe to open in a spreadsheet: a cell that would start a formula (``=``,
    ``+``, ``-``, ``@``, tab, carriage return) gets a leading ``'``, which spreadsheets
    show as text. A cell that starts with ``'`` gets one too, so `restore_cell` is exact."""
    return "'" + text if text and text[0] in _FORMULA_START else text


def restore_cell(text: str) -> str:
    """The text `neutralise_cell` was given."""
    return text[1:] if text[:1] == "'" and text[1:2] in _FORMULA_START and text[1:2] else text


def csv_header(columns: tuple[Column, ...] = CSV_COLUMNS) -> bytes:
    return _csv_line([c.name for c in columns]).encode("utf-8")


def _csv_line(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()
