"""The three-way merge of a save made on a form opened on an older version. Pure: no Flask, no database.

A save carries the version its form was opened on (the base). For each field of the part of the document it saves:
- the person did not change it (their value is the base's, as their form showed it): whatever is saved now stays,
  a colleague's change included;
- only the person changed it (what is saved is still the base's): their value is applied;
- both changed it, to different values: a conflict, shown field by field (saved value, theirs), never applied until
  the person chooses, field by field, to keep theirs or the saved one.

A field is a scalar of the part (`sede.cap`). A list of texts (provinces, ATECO codes) is one field; a list of
objects (a need's sources) is merged source by source and field by field while nobody added or removed one, and is
one field otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

_MISSING = object()


@dataclass(frozen=True)
class FieldChange:
    """A field someone else changed since a page was opened: its path in the part, the value saved now (theirs), the
    person's (None when the person changed nothing, e.g. a removal page), and the one the page was opened with."""

    path: str
    theirs: object
    yours: object
    base: object = None


@dataclass(frozen=True)
class Merged:
    """The part to save (as flat fields), the conflicts that stop it, the fields where someone else's change was
    kept because the person had not touched them, and every field whose merged value is not the person's (what a
    form shown again must hold, so that saving it again does not put the person's old copy back)."""

    values: dict[str, object]
    conflicts: list[FieldChange]
    kept_theirs: list[str]
    rebased: dict[str, object] = field(default_factory=dict)


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
    """The inverse of `flatten` (and of the per-item split of lists of objects): {"sede.cap": ...} -> {"sede":
    {"cap": ...}}, {"fonti.0.anno": ...} -> {"fonti": [{"anno": ...}]}."""
    out: dict[str, Any] = {}
    for path, value in values.items():
        target = out
        *parents, last = path.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    return _lists(out)


def _lists(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if value and all(key.isdigit() for key in value):
        return [_lists(value[key]) for key in sorted(value, key=int)]
    return {key: _lists(item) for key, item in value.items()}


def _objects(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _split_lists(sides: list[dict[str, object]]) -> None:
    """Lists of objects of the same length on every side become one field per item and key (`fonti.1.anno`)."""
    for path in list(sides[0]):
        values = [side.get(path, _MISSING) for side in sides]
        if not all(_objects(v) for v in values) or len({len(v) for v in values}) != 1:
            continue
        for side, items in zip(sides, values, strict=True):
            del side[path]
            for index, item in enumerate(items):
                side.update({f"{path}.{index}.{key}": v for key, v in flatten(item).items()})


def merge(base: dict[str, object] | None, theirs: dict[str, object], mine: dict[str, object],
          keep_theirs: frozenset[str] | set[str] = frozenset(), *,
          base_as_shown: dict[str, object] | None = None) -> Merged:
    """Merge the person's values (`mine`) into what is saved now (`theirs`), knowing what the form was opened with
    (`base`; None when it cannot be known: then every field that differs is a conflict).

    :param keep_theirs: fields the person chose, after a conflict, to leave as saved.
    :param base_as_shown: the base as the person's form showed it and would send it back untouched (trimmed, upper
        case...): what tells whether the person changed a field. `base` itself tells whether someone else did.
    """
    base = dict(base) if base is not None else {}
    shown = dict(base_as_shown) if base_as_shown is not None else dict(base)
    theirs, mine = dict(theirs), dict(mine)
    if base:
        _split_lists([base, shown, theirs, mine])
    values: dict[str, object] = {}
    conflicts: list[FieldChange] = []
    kept: list[str] = []
    for path in dict.fromkeys([*theirs, *mine]):
        was, now, typed = base.get(path, _MISSING), theirs.get(path, _MISSING), mine.get(path, _MISSING)
        untouched = typed == shown.get(path, _MISSING)
        if path in keep_theirs or typed is _MISSING:
            values[path] = now
        elif now is _MISSING or typed == now:
            values[path] = typed
        elif untouched:  # the person did not touch it: what is saved stays, someone else's change included
            values[path] = now
            if now != was:
                kept.append(path)
        elif now == was:  # only the person changed it
            values[path] = typed
        else:
            conflicts.append(FieldChange(path, now, typed, None if was is _MISSING else was))
    values = {p: v for p, v in values.items() if v is not _MISSING}
    rebased = {p: v for p, v in values.items() if mine.get(p, _MISSING) != v}
    return Merged(values, conflicts, kept, rebased)
