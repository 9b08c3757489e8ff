"""`cached`: a property worked out on first use and kept on the instance.

Python 3.11's ``functools.cached_property`` takes a lock on every first use (3.12
dropped it); a recommendation reads about fifteen such values per profile, and
the lock cost more than some of the values. This descriptor has no ``__set__``,
so once the value is in the instance's ``__dict__`` Python finds it there and
never calls the descriptor again. Results are made and read by one thread; two
threads reading a fresh one at once both compute the same value, and one is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class cached(Generic[T]):
    """``@cached`` over a method: its value, computed once per instance."""

    def __init__(self, func: Callable[[Any], T]):
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value


def prime(instance: Any, **values: Any) -> None:
    """Give ``instance`` the values of its `cached` members named in ``values``, which
    the caller has worked out already (they must be what the members would compute)."""
    instance.__dict__.update(values)
