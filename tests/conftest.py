"""Shared fixtures: one engine per test session (loading compiles the rules once)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pmpath import Engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/strategies.py
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.load()


@pytest.fixture(scope="session")
def host_engine() -> Engine:
    """The same rules through durable's stock Host (slower; for differential tests)."""
    return Engine.load(backend="host")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
