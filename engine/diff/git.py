"""``--base REV``: the knowledge and rules of a git revision, read with ``git archive``."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from typing import IO, TYPE_CHECKING

from pmpath.errors import DiffError

if TYPE_CHECKING:  # pragma: no cover
    pass


# -- the base from git ------------------------------------------------------------------------


def checkout_base(
    revision: str,
    knowledge_dir: str | os.PathLike | None = None,
    rules_dir: str | os.PathLike | None = None,
    *,
    cwd: str | os.PathLike | None = None,
) -> tuple[str, str, str]:
    """The knowledge and rules of git ``revision`` in a new temporary directory.

    The paths inside the repository are those of ``knowledge_dir`` and
    ``rules_dir`` when they lie in the checkout, else ``knowledge/`` and
    ``rules/`` at its top. Returns (temporary root, knowledge dir, rules dir);
    the caller removes the root. Raises `DiffError` (D001) naming what is wrong.
    """
    where = os.fspath(cwd) if cwd is not None else os.getcwd()
    top = _git(["rev-parse", "--show-toplevel"], where, "--base needs a git checkout").strip()
    sha = _git(
        ["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"],
        top,
        f"--base {revision}: no such revision in {top}",
    ).strip()
    paths = []
    for given, default in ((knowledge_dir, "knowledge"), (rules_dir, "rules")):
        rel = default
        if given is not None:
            full = os.path.realpath(given)
            inside = os.path.relpath(full, os.path.realpath(top))
            if not inside.startswith(os.pardir):
                rel = inside
        paths.append(rel.replace(os.sep, "/"))
    root = tempfile.mkdtemp(prefix="pmpath-base-")
    try:
        archive = os.path.join(root, "base.tar")
        with open(archive, "wb") as fh:
            _git(
                ["archive", "--format=tar", sha, "--", *paths],
                top,
                f"--base {revision}: {' and '.join(paths)} are not in that revision",
                stdout=fh,
            )
        with tarfile.open(archive) as tar:
            tar.extractall(os.path.join(root, "tree"), filter="data")
        os.unlink(archive)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    tree = os.path.join(root, "tree")
    return root, os.path.join(tree, paths[0]), os.path.join(tree, paths[1])


def _git(args: list[str], cwd: str, failure: str, stdout: IO[bytes] | None = None) -> str:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            stdout=stdout if stdout is not None else subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
    except FileNotFoundError:
        raise DiffError("--base needs git, which is not installed", code="D001") from None
    except subprocess.TimeoutExpired:
        raise DiffError(f"{failure} (git gave no answer in 120 s)", code="D001") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = f" (git: {said[-1]})" if said else ""
        raise DiffError(f"{failure}{detail}", code="D001")
    return done.stdout.decode("utf-8", "replace") if stdout is None else ""
