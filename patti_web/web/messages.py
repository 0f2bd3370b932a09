"""Messages shown once on the next page (Flask's flash), with a link when the message points at something."""

from __future__ import annotations

from flask import flash


def flash_link(text: str, url: str, label: str, category: str = "info") -> None:
    """A message followed by a link (rendered by base.html): "Nothing was added again. Open it"."""
    flash({"text": text, "url": url, "label": label}, category)
