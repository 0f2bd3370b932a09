"""The three-way merge of a save made on a form opened on an older version. Pure: no Flask, no database.

A save carries the version its form was opened on (the base). For each field of the part it saves:
- the person did not change it (theirs == base): whatever is saved now stays, their colleague's change included;
- only the person changed it: their value is applied;
- both changed it, to different values: a conflict, shown field by field (saved value, yours), never applied until
  the person chooses, per field, to keep theirs or the saved one.

So no save undoes a change its author never saw. A field is a scalar of the part (`sede.cap`); a list (provinces,
ATECO codes, sources) is one field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

_MISSING = object()


@dataclass(frozen=True)
class FieldChange:
    """A field both the person and someone else changed since the form was opened: its path in the part, the value
    saved now (theirs), the person's, and the one the form was opened with."""

    path: str
    theirs: object
    yours: object
    base: object = None


@dataclass(frozen=True)
class Merged:
    """The part to save (as flat fields), the conflicts that stop it, and the fields where someone else's change
    was kept because the person had not touched them."""

    values: dict[str, object]
    conflicts: list[FieldChange]
    kept_theirs: list[str]


def flatten(value: Any, prefix: str = "") -> dict[str, object]:
    """A part of the document as {"sede.cap": "25121", ...}: nested objects walked, lists whole."""
    if isinstance(value, BaseModel):
        value = {name: getattr(value, name) for name in type(value).model_fields}
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for name, item in value.items():
            out.update(flatten(item, f"{prefix}.{name}" if prefix else name))
        return out
    if isinstance(value, list):
        return {prefix: [item.model_dump() if isinstance(item, BaseModel) else item for item in value]}
    return {prefix: value}


def unflatten(values: dict[str, object]) -> dict[str, Any]:
    """The inverse of `flatten`: {"sede.cap": ...} -> {"sede": {"cap": ...}}."""
    out: dict[str, Any] = {}
    for path, value in values.items():
        target = out
        *parents, last = path.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    return out


def merge(base: dict[str, object] | None, theirs: dict[str, object], mine: dict[str, object],
          keep_theirs: frozenset[str] | set[str] = frozenset()) -> Merged:
    """Merge the person's values (`mine`) into what is saved now (`theirs`), knowing what the form was opened with
    (`base`; None when it cannot be known: then every field that differs is a conflict).

    :param keep_theirs: fields the person chose, after a conflict, to leave as saved.
    """
    base = base or {}
    values: dict[str, object] = {}
    conflicts: list[FieldChange] = []
    kept: list[str] = []
    for path in dict.fromkeys([*theirs, *mine]):
        was, now, typed = base.get(path, _MISSING), theirs.get(path, _MISSING), mine.get(path, _MISSING)
        if path in keep_theirs or typed is _MISSING:
            values[path] = now
        elif now is _MISSING or typed == now:
            values[path] = typed
        elif typed == was:  # the person did not touch it: someone else's change stays
            values[path] = now
            kept.append(path)
        elif now == was:  # only the person changed it
            values[path] = typed
        else:
            conflicts.append(FieldChange(path, now, typed, None if was is _MISSING else was))
    return Merged({p: v for p, v in values.items() if v is not _MISSING}, conflicts, kept)
