"""What every form of the portal shares: the CSRF-only form of a button, the one-time token of an "add" form, and
the filters that trim what was typed."""

from __future__ import annotations

import re
import secrets

from flask_wtf import FlaskForm
from wtforms import HiddenField

# What a text pasted from Word or a PDF carries that nobody sees: soft hyphens, zero-width spaces and joiners, the
# byte-order mark. Typographic quotes and dashes are kept: they are text, and the documents' fonts print them.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_SPACES = re.compile(r"\s+")  # every Unicode space: tabs, non-breaking and narrow spaces, line breaks
_LINE_SPACES = re.compile(r"[^\S\n]+")


def strip(value):
    """What was typed, without the spaces around it (not a text: as it is). The account's own fields keep what is
    inside, so that a name holding a tab or a zero-width space is refused, not silently mended."""
    return value.strip() if isinstance(value, str) else value


def one_line(value):
    """A one-line value of an application as typed or pasted: invisible characters out, every run of spaces (tabs
    and non-breaking spaces included) one space, none around it (not a text: as it is)."""
    return _SPACES.sub(" ", value.translate(_INVISIBLE)).strip() if isinstance(value, str) else value


def strip_lines(value):
    """A text of several lines as typed or pasted, trimmed, with one kind of line break (browsers send a text area's
    lines ending in CR LF, a file or a script in LF, and the same text must not look changed between the two), the
    invisible characters out and the spaces inside each line as in a one-line value; the lines themselves stay."""
    if not isinstance(value, str):
        return value
    lines = value.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE).split("\n")
    return "\n".join(_LINE_SPACES.sub(" ", line).strip() for line in lines).strip()


class EmptyForm(FlaskForm):
    """Buttons that only POST (delete, duplicate, remove, log out everywhere): the CSRF token and nothing else."""


TOKEN_LENGTH = 64  # the column that keeps a form's token (a longer one, which no page of ours sends, is cut)


def _token(value):
    return value[:TOKEN_LENGTH] if isinstance(value, str) else value


class OneTimeTokenMixin:
    """A hidden one-time token: the same "add" form submitted twice adds one item, not two."""

    form_token = HiddenField(filters=[_token])

    def fresh_token(self) -> None:
        self.form_token.data = new_token()


def new_token() -> str:
    return secrets.token_urlsafe(24)
