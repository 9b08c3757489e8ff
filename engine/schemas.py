"""Deprecated: `pmpath.source.schemas` (this path goes in the next release).

The JSON Schemas themselves stay where they were, ``pmpath/schemas/*.json``.
"""

from __future__ import annotations

import warnings

from pmpath.source.schemas import *  # noqa: F403
from pmpath.source.schemas import __all__  # noqa: F401

warnings.warn(
    "pmpath.schemas moved to pmpath.source.schemas; the old path goes in the next release",
    DeprecationWarning,
    stacklevel=2,
)
