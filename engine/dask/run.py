"""The client side of a Dask run: plan the blocks, ship the engine, score the parts
that are missing, and add up their summaries.

`score_files` is what ``pmpath batch --engine dask`` runs. Without a client it
starts a `LocalCluster` on this machine (worker processes with one thread
each) and closes it at the end.
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import posixpath
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

import dask
from distributed import Client, LocalCluster, as_completed, get_worker

from pmpath.batch.inputs import _csv_header, csv_delimiter
from pmpath.batch.output import BatchSummary
from pmpath.dask import plan
from pmpath.dask.parts import count_lines, score_part
from pmpath.dask.plugin import NAME, EnginePlugin, bundle
from pmpath.errors import BatchError, KnowledgeError
from pmpath.model import load_model
from pmpath.results.fit import check_role
from pmpath.results.summary import check_detail

FORMATS = ("jsonl", "csv", "parquet")


def _plugin() -> EnginePlugin:
    return get_worker().plugins[NAME]


def _count_task(src: plan.Source, block: plan.Block) -> int:
    return count_lines(src, block)


def _score_task(src, block, out_dir, fmt, role, specialization, as_of, detail) -> dict:
    return score_part(_plugin(), src, block, out_dir, fmt, role, specialization, as_of, detail)


def _csv_source(src: plan.Source) -> plan.Source:
    fs, path = plan.filesystem(src.url)
    with fs.open(path, "rb") as fh:
        first = fh.readline().decode("utf-8", "surrogateescape").lstrip("\ufeff")
    delimiter = csv_delimiter(first)
    header = _csv_header(next(csv.reader([first], delimiter=delimiter), []), src.url)
    return replace(src, header=header, delimiter=delimiter)


class DaskRun:
    """One scale-out run: checked on construction, `run()` scores, `summary` counts."""

    def __init__(
        self,
        inputs: list[str] | tuple[str, ...],
        output_dir: str,
        *,
        client: Client | None = None,
        scheduler: str | None = None,
        fmt: str = "jsonl",
        resume: bool = False,
        role: str | None = None,
        specialization: str | None = None,
        input_format: str = "auto",
        block_size: int = plan.BLOCK_SIZE,
        knowledge: str | None = None,
        rules: str | None = None,
        as_of: date | None = None,
        local_workers: int = 2,
        on_progress: Callable[[int, int], None] | None = None,
        detail: str = "full",
    ):
        if fmt not in FORMATS:
            raise BatchError(f"--format must be one of {', '.join(FORMATS)}", code="B005")
        try:
            check_detail(detail)
        except ValueError as exc:
            raise BatchError(str(exc), code="B005") from None
        self.detail = detail
        if not inputs:
            raise BatchError("no INPUT given: name JSONL or CSV files or URLs", code="B001")
        model, problems = load_model(knowledge, rules)
        if model is None:
            raise KnowledgeError(problems)
        if specialization is not None and role is None:
            raise BatchError("--specialization goes with --role (the opening's rung)", code="B005")
        if role is not None:
            check_role(model.knowledge, role, specialization)
        self.model = model
        self.files = bundle(knowledge, rules)
        self.fmt, self.resume, self.role, self.specialization = fmt, resume, role, specialization
        self.as_of = as_of or date.today()
        self.client, self.local_workers, self.on_progress = client, local_workers, on_progress
        self.scheduler = scheduler
        self.sources = []
        for url in inputs:
            kind = plan.kind_of(url, input_format)
            if kind in ("json-resume", "linkedin", "greenhouse") and "://" in url:
                raise BatchError(
                    f"{url}: --engine dask reads CVs and exports from local paths only",
                    code="B001",
                )
            src = plan.source_of(url, kind)
            self.sources.append(_csv_source(src) if kind == "csv" and src.size else src)
        self.fs, self.directory = plan.filesystem(output_dir)
        self.output_dir = output_dir
        self.options = {
            "format": fmt,
            "role": role,
            "specialization": specialization,
            "input_format": input_format,
            "block_size": block_size,
            "as_of": self.as_of.isoformat(),
            "detail": detail,
        }
        self.block_size = block_size
        self.manifest_path = posixpath.join(self.directory, plan.MANIFEST)
        self.previous = plan.read_manifest(self.fs, self.manifest_path) if resume else None
        if self.previous is not None:
            plan.check_resumable(self.previous, self._manifest([]))
        elif self.fs.exists(self.directory) and not self.fs.isdir(self.directory):
            raise BatchError(
                f"{output_dir}: is a file; --engine dask writes a directory of parts",
                code="B004",
            )
        level_order = tuple(lv.id for lv in model.knowledge.levels)
        self.summary = BatchSummary(
            output=output_dir,
            workers=local_workers,
            level_order=level_order,
            specialization_order=tuple(model.knowledge.specializations),
        )
        self.parts_done = 0
        self.parts_total = 0
        self.parts_skipped = 0  # on --resume: parts already whole in the output

    def _manifest(self, blocks: list[plan.Block]) -> dict:
        return plan.manifest(
            self.sources,
            blocks,
            knowledge_version=self.model.knowledge_version,
            options=self.options,
        )

    # -- running ----------------------------------------------------------------------
    def run(self) -> BatchSummary:
        started = time.perf_counter()
        own = None
        client = self.client
        if client is None and self.scheduler is not None:
            try:
                client = Client(self.scheduler, timeout=30)
            except OSError as exc:
                raise BatchError(
                    f"--scheduler {self.scheduler}: cannot connect: {exc}", code="B001"
                ) from None
            self.client = client
        elif client is None:
            # the workers' sampling profiler (every 10 ms, for a dashboard nobody opens
            # here) takes the GIL from the scoring thread: off for our own cluster
            with dask.config.set({"distributed.worker.profile.enabled": False}):
                own = LocalCluster(
                    n_workers=self.local_workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
            client = Client(own)
        try:
            self.summary.workers = len(client.scheduler_info().get("workers", {})) or (
                self.local_workers
            )
            client.register_plugin(EnginePlugin(self.files, self.model.knowledge_version))
            blocks = self._blocks(client)
            self._score(client, blocks)
        finally:
            if own is not None:
                with contextlib.suppress(Exception):
                    client.close()
                with contextlib.suppress(Exception):
                    own.close()
        self._tidy()
        self.summary.elapsed = time.perf_counter() - started
        return self.summary

    def _blocks(self, client: Client) -> list[plan.Block]:
        if self.previous is not None:
            return [plan.Block(**b) for b in self.previous["blocks"]]
        self._clear()
        blocks = plan.blocks_of(self.sources, self.block_size)
        counts = client.gather(
            client.map(
                _count_task,
                [self.sources[b.source] for b in blocks],
                blocks,
                pure=False,
                key=[f"pmpath-count-{b.part}" for b in blocks],
            )
        )
        numbered, line, current = [], 1, None
        for block, n in zip(blocks, counts, strict=True):
            if block.source != current:
                current, line = block.source, 1
            numbered.append(replace(block, first_line=line))
            line += n
        self.fs.makedirs(posixpath.join(self.directory, plan.SUMMARIES), exist_ok=True)
        plan.write_json(self.fs, self.manifest_path, self._manifest(numbered))
        return numbered

    def _clear(self) -> None:
        """A new run replaces what an earlier one left (its parts, summaries, manifest)."""
        if not self.fs.exists(self.directory):
            self.fs.makedirs(self.directory, exist_ok=True)
            return
        for path in self.fs.ls(self.directory, detail=False):
            name = posixpath.basename(path.rstrip("/"))
            if name.startswith("part-") or name == plan.MANIFEST or name.endswith(".tmp"):
                self.fs.rm(path)
            elif name == plan.SUMMARIES:
                self.fs.rm(path, recursive=True)

    def _score(self, client: Client, blocks: list[plan.Block]) -> None:
        todo, done = [], []
        for block in blocks:
            name = plan.part_name(block, self.fmt)
            summary_path = posixpath.join(self.directory, plan.SUMMARIES, f"{name}.json")
            if (
                self.previous is not None
                and self.fs.exists(posixpath.join(self.directory, name))
                and self.fs.exists(summary_path)
            ):
                done.append(summary_path)
            else:
                todo.append(block)
        self.parts_total, self.parts_done = len(blocks), len(done)
        self.parts_skipped = len(done)
        for path in done:
            with self.fs.open(path, "r") as fh:
                self._add(json.loads(fh.read()), previous=True)
        self.summary.skipped = self.summary.previous  # records already written, not redone
        futures = client.map(
            _score_task,
            [self.sources[b.source] for b in todo],
            todo,
            [self.output_dir] * len(todo),
            [self.fmt] * len(todo),
            [self.role] * len(todo),
            [self.specialization] * len(todo),
            [self.as_of] * len(todo),
            [self.detail] * len(todo),
            pure=False,
            key=[f"pmpath-part-{b.part}-{time.monotonic_ns()}" for b in todo],
        )
        for future in as_completed(futures):
            self._add(future.result())
            self.parts_done += 1
            if self.on_progress is not None:
                self.on_progress(self.parts_done, self.parts_total)

    def _add(self, part: dict, previous: bool = False) -> None:
        s = self.summary
        if previous:
            s.previous += part["records"]
            s.previous_errors += part["errors"]
        else:
            s.records += part["records"]
            s.errors += part["errors"]
        s.levels.update(Counter(part["levels"]))
        s.specializations.update(Counter(part["specializations"]))
        s.error_codes.update(Counter(part["error_codes"]))

    def _tidy(self) -> None:
        """Temporary files a dead worker left behind."""
        with contextlib.suppress(Exception):
            for path in self.fs.ls(self.directory, detail=False):
                if posixpath.basename(path).endswith(".tmp"):
                    self.fs.rm(path)


def score_files(inputs, output_dir, **options: Any) -> BatchSummary:
    """Score ``inputs`` (paths or fsspec URLs) into part files under ``output_dir``."""
    return DaskRun(inputs, output_dir, **options).run()


def score_bag(
    bag: Any, role: str | None = None, specialization: str | None = None, detail: str = "full"
) -> Any:
    """A bag of profiles (dicts) to a bag of output records (the JSONL records, as dicts;
    with ``detail="summary"``, the ``--detail summary`` records).

    The client must have the plugin registered (`register`).
    """
    check_detail(detail)

    def partition(items) -> list[dict]:
        plugin = _plugin()
        with plugin.lock:
            scorer = plugin.scorer("jsonl", role, specialization, date.today(), detail)
            return [json.loads(scorer.run(("data", "bag", None, item)).payload) for item in items]

    return bag.map_partitions(partition)


def register(client: Client, knowledge: str | None = None, rules: str | None = None) -> str:
    """Register the engine plugin with a client; returns the knowledge version it ships."""
    model, problems = load_model(knowledge, rules)
    if model is None:
        raise KnowledgeError(problems)
    client.register_plugin(EnginePlugin(bundle(knowledge, rules), model.knowledge_version))
    return model.knowledge_version


__all__ = ["FORMATS", "DaskRun", "register", "score_bag", "score_files"]
