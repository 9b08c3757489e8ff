"""What a Dask run reads and writes: inputs (local paths or fsspec URLs), blocks
(byte ranges of an input, on line boundaries), part names, and the manifest.

A block holds the lines that *start* in its byte range ``[start, end)``: the
first block of an input starts at its first byte, every other one at the line
after the one its range cuts. Each block becomes one part file, numbered in
input order, so the parts concatenated are the input's records in order. The
manifest, ``_manifest.json`` in the output directory, records every input
(size and modification time or ETag), every block, the knowledge and pmpath
versions and the options; ``--resume`` checks all of it before computing the
parts that are missing. No dask here: plain fsspec.
"""

from __future__ import annotations

import json
import posixpath
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import fsspec

from pmpath._version import __version__
from pmpath.errors import BatchError

MANIFEST = "_manifest.json"
SUMMARIES = "_summaries"
#: the default size of a block, in bytes
BLOCK_SIZE = 8 * 1024 * 1024
PART_EXTENSIONS = {"jsonl": "jsonl", "csv": "csv", "parquet": "parquet"}


@dataclass(frozen=True)
class Source:
    """One input: its URL as given, what it holds, its size and its version stamp."""

    url: str
    kind: str  # jsonl, csv, or an import format (json-resume, linkedin, greenhouse)
    size: int
    stamp: str  # modification time or ETag: a changed input has another
    header: tuple[str, ...] = ()  # a CSV input: its column names (line 1)
    delimiter: str = ","  # a CSV input: its delimiter


@dataclass(frozen=True)
class Block:
    """One part to compute: a byte range of one input."""

    part: int
    source: int  # index into the inputs
    start: int
    end: int
    first_line: int = 1  # the number of the first line that starts in the range


def filesystem(url: str) -> tuple[Any, str]:
    """fsspec's filesystem for a URL or path, and the path within it."""
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise BatchError(f"{url}: cannot open: {exc}", code="B001") from None


def stamp_of(info: dict) -> str:
    """What changes when a file changes: its ETag, else its modification time."""
    for key in ("ETag", "etag", "mtime", "LastModified", "last_modified", "created"):
        if info.get(key) is not None:
            return f"{key}:{info[key]}"
    return "size-only"


def source_of(url: str, kind: str) -> Source:
    fs, path = filesystem(url)
    try:
        info = fs.info(path)
    except FileNotFoundError:
        raise BatchError(f"{url}: no such file", code="B001") from None
    except OSError as exc:
        raise BatchError(f"{url}: cannot read it: {exc}", code="B001") from None
    if info.get("type") == "directory" and kind != "linkedin":
        raise BatchError(
            f"{url}: a directory; --engine dask reads JSONL or CSV files (or import sources)",
            code="B001",
        )
    return Source(url, kind, int(info.get("size") or 0), stamp_of(info))


def kind_of(url: str, input_format: str) -> str:
    if input_format != "auto":
        return input_format
    lower = url.lower()
    if lower.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if lower.endswith(".csv"):
        return "csv"
    raise BatchError(
        f"{url}: cannot tell the format from the extension; name it .jsonl or .csv, or say "
        "--input-format",
        code="B002",
    )


def blocks_of(sources: list[Source], block_size: int) -> list[Block]:
    """The blocks of every input, in input order (an import source is one block)."""
    out: list[Block] = []
    for i, src in enumerate(sources):
        if src.kind not in ("jsonl", "csv") or src.size == 0:
            out.append(Block(len(out), i, 0, max(src.size, 1)))
            continue
        for start in range(0, src.size, block_size):
            out.append(Block(len(out), i, start, min(src.size, start + block_size)))
    return out


def part_name(block: Block, fmt: str) -> str:
    return f"part-{block.part:05d}.{PART_EXTENSIONS[fmt]}"


def temporary(name: str) -> str:
    """A name to write a part under until it is whole (``.part-00003.jsonl.<id>.tmp``)."""
    return f".{name}.{uuid.uuid4().hex}.tmp"


def manifest(
    sources: list[Source],
    blocks: list[Block],
    *,
    knowledge_version: str,
    options: dict,
) -> dict:
    return {
        "pmpath_version": __version__,
        "knowledge_version": knowledge_version,
        "options": options,
        "inputs": [asdict(s) for s in sources],
        "blocks": [asdict(b) for b in blocks],
    }


def write_json(fs: Any, path: str, data: dict) -> None:
    """Write whole, then rename: a reader sees the old file or the new one, never half."""
    directory, name = posixpath.split(path)
    tmp = posixpath.join(directory, temporary(name))
    with fs.open(tmp, "w") as fh:
        fh.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    fs.mv(tmp, path)


def read_manifest(fs: Any, path: str) -> dict | None:
    if not fs.exists(path):
        return None
    try:
        with fs.open(path, "r") as fh:
            return json.loads(fh.read())
    except (OSError, ValueError) as exc:
        raise BatchError(f"{path}: the manifest cannot be read: {exc}", code="B004") from None


def check_resumable(old: dict, new: dict) -> None:
    """`BatchError` (B004) unless ``new`` continues the run that wrote ``old``."""
    if old.get("knowledge_version") != new["knowledge_version"]:
        raise BatchError(
            "cannot resume: the output was written with other knowledge (knowledge_version "
            f"{str(old.get('knowledge_version'))[:12]}, this run has "
            f"{new['knowledge_version'][:12]}); resume with the same --knowledge and --rules, "
            "or drop --resume to score everything again",
            code="B004",
        )
    # a manifest written before --detail existed holds output v1: detail full
    options = {"detail": "full", **old.get("options", {})}
    if options != new["options"]:
        changed = sorted(
            k for k in set(options) | set(new["options"]) if options.get(k) != new["options"].get(k)
        )
        raise BatchError(
            f"cannot resume: the options changed ({', '.join(changed)}); give the same "
            "options as the run that wrote it, or drop --resume",
            code="B004",
        )
    old_inputs = [(i["url"], i["size"], i["stamp"]) for i in old.get("inputs", [])]
    new_inputs = [(i["url"], i["size"], i["stamp"]) for i in new["inputs"]]
    if old_inputs != new_inputs:
        raise BatchError(
            "cannot resume: the inputs changed since the run that wrote the output (another "
            "file, size or modification time); give the same INPUT, or drop --resume",
            code="B004",
        )


__all__ = [
    "BLOCK_SIZE",
    "MANIFEST",
    "SUMMARIES",
    "Block",
    "Source",
    "blocks_of",
    "check_resumable",
    "filesystem",
    "kind_of",
    "manifest",
    "part_name",
    "read_manifest",
    "source_of",
    "temporary",
    "write_json",
]
