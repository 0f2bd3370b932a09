"""docs/contract.md is the project's contract: it lists every field of the document and every finding code."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from pydantic import BaseModel

from patti_web.avviso import domanda as doc
from patti_web.avviso.regole import SEVERITY

CONTRACT = (Path(__file__).resolve().parent.parent / "docs" / "contract.md").read_text(encoding="utf-8")


def _fields(model: type[BaseModel], prefix: str = "", added: bool = False) -> list[tuple[str, int | None, bool]]:
    """(path as the contract writes it, length limit, added by @2) for every field, nested objects walked."""
    out = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        inner = typing.get_args(annotation)[0] if typing.get_origin(annotation) is list else annotation
        path, new = f"{prefix}{name}", added or name in doc.ADDED_IN_V2.get(model, ())
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out += _fields(annotation, path + ".", new)
            continue
        limit = next((m.max_length for m in info.metadata if getattr(m, "max_length", None)), None)
        out.append((path, limit, new))
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            out += _fields(inner, path + "[].", new)
    return out


def test_every_field_of_the_document_is_in_the_contract_with_its_limit_and_version():
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([^`]+)`.*$", CONTRACT, re.M)}
    for path, limit, added in _fields(doc.Domanda):
        assert path in rows, path
        if limit is not None:
            assert f"≤ {limit}" in rows[path], path
        assert ("(`@2`)" in rows[path]) == added, path


def test_every_finding_code_has_a_row():
    assert set(re.findall(r"^\| `([A-Z_]+)` \| (?:error|warning) \|", CONTRACT, re.M)) == set(SEVERITY)
    for code, severity in SEVERITY.items():
        assert re.search(rf"^\| `{code}` \| {severity} \|", CONTRACT, re.M), code
