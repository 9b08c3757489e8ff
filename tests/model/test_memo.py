"""The bounded keeps behind the answers kept for what they read (`pmpath.model.memo`)."""

from __future__ import annotations

from pmpath.model.memo import keep, keep_for


def test_keep_starts_afresh_when_the_cache_is_full():
    cache: dict = {}
    for i in range(5):
        assert keep(cache, i, str(i), 3) == str(i)
    assert cache == {3: "3", 4: "4"}  # emptied at 3, then refilled


def test_keep_for_makes_once_per_object_and_never_for_another_with_its_id():
    cache: dict = {}
    made = []

    def make(owner):
        made.append(owner)
        return f"text of {owner[0]}"

    first = tuple(["a"])
    assert keep_for(cache, first, lambda: make(first), 8) == "text of a"
    assert keep_for(cache, first, lambda: make(first), 8) == "text of a"
    assert made == [first]  # kept: made once
    # an equal but other object is not the one kept, even under the same id
    other = tuple(["a"])  # built apart: not the same object
    cache[id(other)] = cache.pop(id(first))  # as if its id were reused
    assert keep_for(cache, other, lambda: make(other), 8) == "text of a"
    assert made == [first, other] and cache[id(other)][0] is other
