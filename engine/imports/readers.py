"""The three readers: a JSON Resume, a LinkedIn data export, Greenhouse candidates.

Each turns its source into `Candidate`s: positions and studies with their dates
read (`pmpath.imports.dates`), plus what was skipped and what was assumed. The
rules that make a profile of a candidate are in `pmpath.imports.mapping`; a
reader only reads. A source that is not what it was read as, or cannot be read,
raises `SourceError` naming the file and the place in it.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pmpath.errors import DocumentError, SourceError
from pmpath.imports.dates import read_date
from pmpath.source.documents import decode, parse_json

#: the largest file or ZIP member read, in bytes
MAX_BYTES = 20 * 1024 * 1024
_OPEN_ENDED = {"", "present", "current", "now", "today"}


@dataclass(frozen=True)
class Position:
    """One job: its title and company, its dates (``end`` None: still held), its words."""

    where: str
    title: str
    company: str
    start: date
    end: date | None
    text: str = ""


@dataclass(frozen=True)
class Study:
    """One entry of education: what kind of degree, in what, and when it ended."""

    where: str
    degree: str
    area: str
    end: date | None


@dataclass
class Candidate:
    """What a source says about one person, read but not yet interpreted."""

    source: str
    format: str
    name: str | None = None
    id: str | None = None
    positions: list[Position] = field(default_factory=list)
    studies: list[Study] = field(default_factory=list)
    #: positions or studies not used: {"where", "why"}
    skipped: list[dict] = field(default_factory=list)
    #: what had to be assumed: {"where", "what"}
    assumptions: list[dict] = field(default_factory=list)

    def date(self, text: Any, where: str) -> date:
        found, assumption = read_date(text, self.source, where)
        if assumption:
            self.assumptions.append({"where": where, "what": assumption})
        return found

    def add_position(
        self, where: str, title: Any, company: Any, start: Any, end: Any, text: str
    ) -> None:
        title_text = _text(title)
        if start is None or (isinstance(start, str) and not start.strip()):
            self.skipped.append(
                {"where": where, "why": "no start date: its years cannot be counted"}
            )
            return
        began = self.date(start, f"{where}.start")
        finished = None
        if not (end is None or (isinstance(end, str) and end.strip().lower() in _OPEN_ENDED)):
            finished = self.date(end, f"{where}.end")
            if finished < began:
                raise SourceError(
                    f"the position ends ({finished.isoformat()}) before it starts "
                    f"({began.isoformat()}); check its dates",
                    code="I005",
                    file=self.source,
                    where=where,
                )
        if not title_text:
            self.skipped.append({"where": where, "why": "no title: what it was cannot be read"})
            # its years still count as professional years
        self.positions.append(Position(where, title_text, _text(company), began, finished, text))

    def add_study(self, where: str, degree: Any, area: Any, end: Any) -> None:
        finished = None
        if end is not None and not (isinstance(end, str) and not end.strip()):
            finished = self.date(end, f"{where}.end")
        self.studies.append(Study(where, _text(degree), _text(area), finished))


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _join(*parts: Any) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, list):
            out.extend(p for p in part if isinstance(p, str))
    return "\n".join(out)


def json_of(data: bytes | str, source: str) -> Any:
    """A source's JSON, read strictly; `SourceError` (I002) names the line."""
    try:
        text = decode(data) if isinstance(data, bytes) else data
        return parse_json(text, source, with_lines=False).data
    except DocumentError as exc:
        where = f"line {exc.line}" if exc.line else ""
        raise SourceError(exc.message, code="I002", file=source, where=where) from None


# -- JSON Resume ------------------------------------------------------------------------
def read_json_resume(doc: Any, source: str = "<resume>") -> Candidate:
    """A JSON Resume document (jsonresume.org), current or older field names."""
    if isinstance(doc, bytes | str):
        doc = json_of(doc, source)
    if not isinstance(doc, dict) or not ({"basics", "work", "education"} & set(doc)):
        raise SourceError(
            "not a JSON Resume: it has none of basics, work or education "
            "(see jsonresume.org/schema)",
            code="I001",
            file=source,
        )
    person = Candidate(source, "json-resume")
    basics = doc.get("basics")
    if isinstance(basics, dict) and isinstance(basics.get("name"), str):
        person.name = _text(basics["name"]) or None
    work = doc.get("work", [])
    if not isinstance(work, list):
        raise SourceError(
            "work must be a list of positions", code="I001", file=source, where="work"
        )
    for i, job in enumerate(work):
        where = f"work[{i}]"
        if not isinstance(job, dict):
            person.skipped.append({"where": where, "why": "not a position (an object)"})
            continue
        person.add_position(
            where,
            job.get("position"),
            job.get("name", job.get("company")),  # older files say company
            job.get("startDate"),
            job.get("endDate"),
            _join(job.get("summary"), job.get("highlights")),
        )
    education = doc.get("education", [])
    if isinstance(education, list):
        for i, study in enumerate(education):
            if isinstance(study, dict):
                person.add_study(
                    f"education[{i}]",
                    study.get("studyType"),
                    study.get("area"),
                    study.get("endDate"),
                )
    return person


# -- Greenhouse Harvest -----------------------------------------------------------------
def read_greenhouse(doc: Any, source: str = "<greenhouse>") -> list[Candidate]:
    """Greenhouse Harvest candidates: one candidate object, or an array of them."""
    if isinstance(doc, bytes | str):
        doc = json_of(doc, source)
    items = doc if isinstance(doc, list) else [doc]
    out = []
    for n, item in enumerate(items):
        prefix = f"[{n}]." if isinstance(doc, list) else ""
        if not isinstance(item, dict) or not (
            {"employments", "educations", "first_name", "last_name"} & set(item)
        ):
            raise SourceError(
                "not a Greenhouse candidate: it has none of first_name, last_name, "
                "employments or educations",
                code="I001",
                file=source,
                where=prefix.rstrip(".") or "",
            )
        person = Candidate(source, "greenhouse")
        names = [_text(item.get(k)) for k in ("first_name", "last_name")]
        person.name = " ".join(n for n in names if n) or None
        if isinstance(item.get("id"), int | str) and not isinstance(item.get("id"), bool):
            person.id = f"greenhouse-{item['id']}"
        for i, job in enumerate(item.get("employments") or []):
            where = f"{prefix}employments[{i}]"
            if not isinstance(job, dict):
                person.skipped.append({"where": where, "why": "not an employment (an object)"})
                continue
            person.add_position(
                where,
                job.get("title"),
                job.get("company_name"),
                job.get("start_date"),
                job.get("end_date"),
                "",
            )
        for i, study in enumerate(item.get("educations") or []):
            if isinstance(study, dict):
                person.add_study(
                    f"{prefix}educations[{i}]",
                    study.get("degree"),
                    study.get("discipline"),
                    study.get("end_date"),
                )
        out.append(person)
    return out


# -- LinkedIn data export ---------------------------------------------------------------
def read_linkedin(files: dict[str, bytes], source: str = "<linkedin>") -> Candidate:
    """A LinkedIn data export: ``Positions.csv`` and, when there, ``Education.csv``
    and ``Profile.csv`` (file name -> bytes; see `linkedin_files` for a folder or ZIP)."""
    if "Positions.csv" not in files:
        raise SourceError(
            "a LinkedIn export holds Positions.csv; it is not here (unzip the export, or "
            "give the ZIP itself)",
            code="I003",
            file=source,
        )
    person = Candidate(source, "linkedin")
    rows = _csv_rows(files["Positions.csv"], source, "Positions.csv", ("Title", "Started On"))
    for line, row in rows:
        person.add_position(
            f"Positions.csv:{line}",
            row.get("Title"),
            row.get("Company Name"),
            row.get("Started On") or None,
            row.get("Finished On") or None,
            row.get("Description") or "",
        )
    if "Education.csv" in files:
        for line, row in _csv_rows(files["Education.csv"], source, "Education.csv", ()):
            degree = row.get("Degree Name") or ""
            person.add_study(
                f"Education.csv:{line}",
                degree,
                degree + " " + (row.get("Notes") or ""),
                row.get("End Date") or None,
            )
    if "Profile.csv" in files:
        for _, row in _csv_rows(files["Profile.csv"], source, "Profile.csv", ()):
            names = [_text(row.get(k)) for k in ("First Name", "Last Name")]
            person.name = " ".join(n for n in names if n) or None
            break
    return person


def _csv_rows(
    data: bytes, source: str, name: str, needed: tuple[str, ...]
) -> list[tuple[int, dict[str, str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{name} is not UTF-8 (byte {exc.start + 1})", code="I002", file=source, where=name
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in needed if c not in header]
        if missing:
            raise SourceError(
                f"{name} has no column {', '.join(repr(c) for c in missing)}: is it a LinkedIn "
                "export? (its header: " + ", ".join(header[:8]) + ")",
                code="I002",
                file=source,
                where=f"{name}:1",
            )
        rows = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            rows.append(
                (reader.line_num, dict(zip(header, (c.strip() for c in row), strict=False)))
            )
    except csv.Error as exc:
        raise SourceError(
            f"{name} is not valid CSV: {exc}",
            code="I002",
            file=source,
            where=f"{name}:{reader.line_num}",
        ) from None
    return rows


def linkedin_files(path: str) -> dict[str, bytes]:
    """The CSV files of a LinkedIn export, from its folder or its ZIP, by base name."""
    wanted = ("Positions.csv", "Education.csv", "Profile.csv")
    out: dict[str, bytes] = {}
    if os.path.isdir(path):
        for name in wanted:
            full = os.path.join(path, name)
            if os.path.isfile(full):
                out[name] = _read_bounded(full)
        return out
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                base = info.filename.rsplit("/", 1)[-1]
                if base in wanted and base not in out:
                    if info.file_size > MAX_BYTES:
                        raise SourceError(
                            f"{info.filename} is larger than {MAX_BYTES // 1024 // 1024} MB",
                            code="I002",
                            file=path,
                        )
                    out[base] = archive.read(info)
    except zipfile.BadZipFile:
        raise SourceError(
            "not a LinkedIn export: neither a folder nor a ZIP file", code="I001", file=path
        ) from None
    return out


def _read_bounded(path: str) -> bytes:
    with open(path, "rb") as fh:
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise SourceError(f"larger than {MAX_BYTES // 1024 // 1024} MB", code="I002", file=path)
    return data


def read_file(path: str) -> bytes:
    """A source file's bytes, bounded; `SourceError` when it cannot be read."""
    try:
        return _read_bounded(path)
    except OSError as exc:
        raise SourceError(
            f"cannot read it: {exc.strerror or exc}", code="I002", file=path
        ) from None


__all__ = [
    "MAX_BYTES",
    "Candidate",
    "Position",
    "Study",
    "json_of",
    "linkedin_files",
    "read_file",
    "read_greenhouse",
    "read_json_resume",
    "read_linkedin",
]
