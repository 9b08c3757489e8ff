"""What a Dask worker does with one block: count its lines, or score it into a part.

A part is written whole under a temporary name, its summary beside it, and only
then renamed to ``part-NNNNN.<format>``: a part file that exists is complete, so
a worker that dies mid-part leaves only a temporary file, and the part is
computed again, whole, elsewhere.
"""

from __future__ import annotations

import contextlib
import posixpath
from collections import Counter
from datetime import date
from typing import Any

from pmpath.batch.columns import csv_header
from pmpath.batch.inputs import Input, RecordReader, csv_records, jsonl_records, text_lines
from pmpath.dask.plan import SUMMARIES, Block, Source, filesystem, part_name, temporary, write_json

IMPORT_KINDS = ("json-resume", "linkedin", "greenhouse")


def _open(src: Source, block: Block) -> Any:
    """The input opened at the first line that starts in the block's range."""
    fs, path = filesystem(src.url)
    fh = fs.open(path, "rb")
    if block.start > 0:
        fh.seek(block.start - 1)
        fh.readline()  # the line the range cuts belongs to the block before
    return fh


def count_lines(src: Source, block: Block) -> int:
    """How many lines start in the block's range (to number the next block's lines)."""
    if src.kind in IMPORT_KINDS:
        return 0
    n = 0
    with _open(src, block) as fh:
        while fh.tell() < block.end:
            line = fh.readline(1 << 20)
            if not line:
                break
            while not line.endswith(b"\n"):  # a long line: read to its end
                more = fh.readline(1 << 20)
                if not more:
                    break
                line = more
            n += 1
    return n


def records(src: Source, block: Block) -> Any:
    """The block's records, as `pmpath batch` reads them (same tuples, same line numbers)."""
    if src.kind in IMPORT_KINDS:
        yield from RecordReader([Input("import", src.url, src.url, (), src.kind)])
        return
    with _open(src, block) as fh:
        if src.kind == "jsonl":
            yield from jsonl_records(src.url, fh, first_line=block.first_line, stop=block.end)
            return
        lines = text_lines(fh, first=block.start == 0, stop=block.end)
        line_before = block.first_line - 1
        if block.start == 0:
            next(lines, None)  # the header
            line_before = 1
        yield from csv_records(src.url, lines, src.header, src.delimiter, line_before)


def score_part(
    plugin: Any,
    src: Source,
    block: Block,
    out_dir: str,
    fmt: str,
    role: str | None,
    specialization: str | None,
    as_of: date,
    detail: str = "full",
) -> dict:
    """Score one block into its part file; return the part's summary (counts only)."""
    output = "jsonl" if fmt == "jsonl" else "row" if fmt == "parquet" else "csv"
    fs, directory = filesystem(out_dir)
    name = part_name(block, fmt)
    tmp = posixpath.join(directory, temporary(name))
    summary = {
        "part": block.part,
        "records": 0,
        "errors": 0,
        "levels": Counter(),
        "specializations": Counter(),
        "error_codes": Counter(),
    }
    with plugin.lock:
        scorer = plugin.scorer(output, role, specialization, as_of, detail)
        rows: list = []
        with fs.open(tmp, "wb") as fh:
            if fmt == "csv" and block.part == 0:
                fh.write(csv_header(scorer.columns))
            for record in records(src, block):
                result = scorer.run(record)
                summary["records"] += 1
                if result.ok:
                    summary["levels"][result.level] += 1
                    summary["specializations"][result.specialization] += 1
                else:
                    summary["errors"] += 1
                    summary["error_codes"][result.code] += 1
                if fmt == "parquet":
                    rows.append(result.payload)
                else:
                    fh.write(result.payload)
            if fmt == "parquet":
                # start-up time: pyarrow loads only for Parquet output
                from pmpath.dask.parquet import write_table

                write_table(fh, rows, scorer.columns)
    write_json(fs, posixpath.join(directory, SUMMARIES, f"{name}.json"), _plain(summary))
    try:
        fs.mv(tmp, posixpath.join(directory, name))
    except Exception:
        with contextlib.suppress(Exception):
            fs.rm(tmp)
        raise
    return _plain(summary)


def _plain(summary: dict) -> dict:
    return {k: dict(v) if isinstance(v, Counter) else v for k, v in summary.items()}


__all__ = ["count_lines", "records", "score_part"]
