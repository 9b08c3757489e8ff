"""Values worked out once per loaded model or ruleset, kept on the object itself.

``memo(owner, name, build)`` returns ``build(owner)``, computing it the first
time and keeping it in the owner's ``_memo`` (so it lives and dies with the
model: no module-level cache, nothing keyed by ``id()``). Owners drop ``_memo``
when pickled (`Model` goes to worker processes), and each process builds its
own. Two threads building at once both compute the same value; one is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def memo(owner: Any, name: str, build: Callable[[Any], T]) -> T:
    """``build(owner)``, computed once per owner and kept on it."""
    store = vars(owner).get("_memo")
    if store is None:
        store = vars(owner).setdefault("_memo", {})
    try:
        return store[name]
    except KeyError:
        return store.setdefault(name, build(owner))


def new_dict(owner: Any) -> dict:
    """An empty dict: the ``build`` of a memo that is itself a bounded cache."""
    return {}


def exactly(value: Any) -> Any:
    """A value as a key part that tells apart what prints apart: 1, 1.0 and True;
    0.0 and -0.0 (equal as dict keys, different as text)."""
    if value is None:
        return None
    if value.__class__ is float:
        # equal non-zero floats print alike; only a zero's sign needs its text
        return (float, value) if value else (float, repr(value))
    return (value.__class__, value)


def keep(cache: dict, key: Any, value: T, limit: int) -> T:
    """``cache[key] = value``, the cache emptied first when it holds ``limit`` entries
    (a bound on what is kept for what it read; the next profiles fill it again)."""
    if len(cache) >= limit:
        cache.clear()
    cache[key] = value
    return value


def keep_for(cache: dict, owner: Any, make: Callable[[], T], limit: int) -> T:
    """``make()``, kept for ``owner`` by identity: for an object itself kept and shared
    (a set of questions, a requirement check, a score breakdown), what is made from it
    alone. The entry holds ``owner``, so its id is not reused while the entry lives."""
    kept = cache.get(id(owner))
    if kept is not None and kept[0] is owner:
        return kept[1]
    return keep(cache, id(owner), (owner, make()), limit)[1]


def without_memo(state: dict) -> dict:
    """An owner's ``__dict__`` for pickling: everything but the memo."""
    return {k: v for k, v in state.items() if k != "_memo"}
