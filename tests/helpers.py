"""Helpers shared by the tests of this folder (import them as `from helpers import ...`)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"


def document_of(application_id: int):
    """The current document of a stored application, as the portal reads it."""
    from patti_web import services

    return services.load(application_id, None).domanda
