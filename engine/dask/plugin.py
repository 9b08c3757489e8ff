"""`EnginePlugin`: each Dask worker process builds its own engine, once, from knowledge
and rules shipped as bytes, and checks it built the version the client asked for.

Workers on other machines do not share the client's ``--knowledge DIR``: the
plugin carries every knowledge and rules file, writes them to a temporary
directory on the worker, loads and checks them there, and refuses (the
worker's tasks fail, naming both versions) if what it built is not what the
client built. Scoring is serialised per worker process with a lock: the C
core is not thread-safe, so run workers with one thread (``--nthreads 1``;
`score_files` starts local ones so).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from typing import Any

from distributed import WorkerPlugin

from pmpath.batch.scorer import Scorer
from pmpath.model import load_model
from pmpath.source.data import locate

NAME = "pmpath-engine"


def bundle(knowledge: str | None = None, rules: str | None = None) -> dict[str, dict[str, bytes]]:
    """Every knowledge and rules file, as bytes: what the plugin ships to workers."""
    out: dict[str, dict[str, bytes]] = {}
    for label, directory, package in (
        ("knowledge", knowledge, "pmpath.knowledge"),
        ("rules", rules, "pmpath.rules"),
    ):
        root = locate(directory, package)
        out[label] = {
            entry.name: entry.read_bytes()
            for entry in sorted(root.iterdir(), key=lambda e: e.name)
            if entry.name.endswith((".yaml", ".yml"))
        }
    return out


class EnginePlugin(WorkerPlugin):
    """Builds the engine on each worker from shipped bytes; hands out scorers."""

    name = NAME

    def __init__(self, files: dict[str, dict[str, bytes]], knowledge_version: str):
        self.files = files
        self.knowledge_version = knowledge_version
        self.client_pid = os.getpid()  # the test hooks of the scorer run in workers only
        self._model: Any = None
        self._scorers: dict[tuple, Scorer] = {}
        self._dir: str | None = None
        self.lock = threading.Lock()

    def __getstate__(self) -> dict:
        return {
            "files": self.files,
            "knowledge_version": self.knowledge_version,
            "client_pid": self.client_pid,
        }

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._model, self._scorers, self._dir = None, {}, None
        self.lock = threading.Lock()

    def setup(self, worker: Any = None) -> None:
        self._dir = tempfile.mkdtemp(prefix="pmpath-knowledge-")
        for label, files in self.files.items():
            os.makedirs(os.path.join(self._dir, label))
            for name, data in files.items():
                with open(os.path.join(self._dir, label, name), "wb") as fh:
                    fh.write(data)
        model, problems = load_model(
            os.path.join(self._dir, "knowledge"), os.path.join(self._dir, "rules")
        )
        if model is None:
            raise RuntimeError(f"pmpath: the shipped knowledge does not load: {problems[0]}")
        if model.knowledge_version != self.knowledge_version:
            raise RuntimeError(
                f"pmpath: this worker built knowledge {model.knowledge_version[:12]}, the "
                f"client asked for {self.knowledge_version[:12]}"
            )
        self._model = model

    def teardown(self, worker: Any = None) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)

    def scorer(
        self,
        output: str,
        role: str | None,
        specialization: str | None,
        as_of,
        detail: str = "full",
    ) -> Scorer:
        """This worker's scorer for these options (built once, its engine with it)."""
        if self._model is None:
            self.setup()
        key = (output, role, specialization, as_of, detail)
        scorer = self._scorers.get(key)
        if scorer is None:
            columns = None
            if role is not None:
                # start-up time: the fit columns are needed only for an opening
                from pmpath.batch.columns import CSV_COLUMNS, FIT_COLUMNS

                columns = (*CSV_COLUMNS, *FIT_COLUMNS)
            scorer = Scorer(
                self._model,
                output=output,
                role=role,
                specialization=specialization,
                as_of=as_of,
                detail=detail,
                parent=self.client_pid,  # the crash hooks (tests) fire in workers only
                **({"columns": columns} if columns else {}),
            )
            scorer.setup()
            self._scorers[key] = scorer
        return scorer


__all__ = ["NAME", "EnginePlugin", "bundle"]
