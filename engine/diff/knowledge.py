"""What changed in the knowledge and rules files themselves, item by item, by id."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:  # pragma: no cover
    from pmpath.model import Model


# -- what changed in the files --------------------------------------------------------------

_SHORT = 60  # scalar values up to this many characters are shown old -> new


def knowledge_changes(base: Model, new: Model) -> tuple[list[dict], list[dict]]:
    """(files, changes): each knowledge and rules file added, removed or changed; and
    every item with an ``id`` (thresholds, levels, requirements, steps, rules, ...)
    added, removed or changed, with the fields that changed and the item's source."""
    old = {(root, f.base): f for root, f in base.files}
    now = {(root, f.base): f for root, f in new.files}
    files, changes = [], []
    for key in sorted(old.keys() | now.keys()):
        root, name = key
        a, b = old.get(key), now.get(key)
        path = f"{root}/{name}"
        if a is None or b is None:
            files.append({"file": path, "change": "added" if a is None else "removed"})
        elif a.raw != b.raw:
            files.append({"file": path, "change": "changed"})
        else:
            continue
        items_a = _items(_load(a), path) if a is not None else {}
        items_b = _items(_load(b), path) if b is not None else {}
        for ident in sorted(items_a.keys() | items_b.keys()):
            ia, ib = items_a.get(ident), items_b.get(ident)
            kind, item_id = ident
            if ia is None or ib is None:
                item = ib if ia is None else ia
                changes.append(
                    {
                        "file": path,
                        "kind": kind,
                        "id": item_id,
                        "change": "added" if ia is None else "removed",
                        "source": _source(item),
                        "fields": [],
                    }
                )
            elif ia != ib:
                changes.append(
                    {
                        "file": path,
                        "kind": kind,
                        "id": item_id,
                        "change": "changed",
                        "source": _source(ib),
                        "fields": _fields(ia, ib),
                    }
                )
    return files, changes


def _load(f) -> Any:
    try:
        return yaml.safe_load(f.raw)
    except yaml.YAMLError:  # pragma: no cover - the model loaded, so it parses
        return None


_PLURAL = {"thresholds": "threshold", "levels": "level", "requirements": "requirement"}


def _items(doc: Any, path: str) -> dict[tuple[str, str], dict]:
    """Every mapping with an ``id`` inside a list, by (kind, id); nested ones apart."""
    out: dict[tuple[str, str], dict] = {}

    def walk(node: Any, key: str) -> None:
        if isinstance(node, Mapping):
            for k, v in node.items():
                walk(v, str(k))
        elif isinstance(node, list):
            kind = _PLURAL.get(key, key[:-1] if key.endswith("s") else key)
            for item in node:
                if isinstance(item, Mapping) and isinstance(item.get("id"), str):
                    own = {}
                    for k, v in item.items():
                        if isinstance(v, list) and any(
                            isinstance(x, Mapping) and isinstance(x.get("id"), str) for x in v
                        ):
                            walk(v, str(k))  # nested items are their own entries
                        else:
                            own[k] = v
                    out[(kind, item["id"])] = own
                else:
                    walk(item, key)

    walk(doc, os.path.splitext(os.path.basename(path))[0])
    return out


def _source(item: Mapping) -> str | None:
    source = item.get("source")
    return source if isinstance(source, str) else None


def _fields(a: Mapping, b: Mapping) -> list[dict]:
    out = []
    for key in sorted(a.keys() | b.keys(), key=str):
        va, vb = a.get(key), b.get(key)
        if va == vb:
            continue
        entry: dict[str, Any] = {"field": str(key)}
        if _shown(va) and _shown(vb):
            entry["from"], entry["to"] = va, vb
        else:
            entry["change"] = "added" if va is None else "removed" if vb is None else "reworded"
        out.append(entry)
    return out


def _shown(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float):
        return True
    return isinstance(value, str) and len(value) <= _SHORT and "\n" not in value
