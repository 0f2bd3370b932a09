"""What a request may carry before any view, limit or form reads it: the shape of a form.

A browser sends a form as fields holding texts (url-encoded or multipart); Flask-WTF also reads a JSON object as a
form. Anything else is answered 400 with an Italian page before anything else runs (CSRF, the rate limits' keys,
the views): a JSON body that is not an object of texts or lists of texts (a number, null, a nested object), JSON that
does not parse (or nests deeper than the reader goes), a file where a form expects a text, a NUL character in any name
or value (no form sends one, and PostgreSQL refuses it in a text), and a lone surrogate (not text at all; only a JSON
escape can carry one).
So every check downstream sees the texts WTForms will see, and `form_data` gives them as WTForms reads them.
"""

from __future__ import annotations

import re

from flask import Flask, current_app, render_template, request
from werkzeug.datastructures import CombinedMultiDict, ImmutableMultiDict, MultiDict

from patti_web.i18n import gettext as _

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_SURROGATE = re.compile("[\ud800-\udfff]")


def _texts(value) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(item, str) for item in value))


# The pages whose form takes a file (the JSON document to import, a spreadsheet of partners, a signed file, a
# partner's signed letter through its personal link), with the setting of how large their body may be (None:
# MAX_CONTENT_LENGTH): a file sent anywhere else is not a form's, and would reach a text field's checks as an object.
FILE_ENDPOINTS = {"domande.import_json": None, "domande.import_partners": None,
                  "presentazione.upload": "PATTI_UPLOAD_MAX_BYTES", "adesione.upload": "PATTI_UPLOAD_MAX_BYTES"}


def _json() -> object:
    """The body's JSON, or _UNREADABLE (it does not parse, or nests deeper than Python's JSON reader can go)."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        return _UNREADABLE
    return _UNREADABLE if data is None and request.get_data(cache=True).strip() not in (b"", b"null") else data


_UNREADABLE = object()


def form_data() -> MultiDict:
    """The fields of this request's form as Flask-WTF hands them to WTForms (files and form, or the form, or a JSON
    object): a field's value is the first of its list."""
    if request.files:
        return CombinedMultiDict((request.files, request.form))
    if request.form:
        return request.form
    if request.is_json:
        data = _json()
        if isinstance(data, dict):
            return ImmutableMultiDict(data)
    return ImmutableMultiDict()


def _pairs(values: MultiDict):
    for key, items in values.lists():
        yield key
        yield from (item for item in items if isinstance(item, str))


def body_problem() -> str | None:
    """Why this request is not something a form of ours sends, in Italian; None when it may go on."""
    texts = list(_pairs(request.args))
    if request.method in _BODY_METHODS:
        if request.is_json:
            data = _json()
            if data is _UNREADABLE:
                return _("The data sent are not valid JSON.")
            if data is None:
                data = {}
            if not isinstance(data, dict) or not all(_texts(value) for value in data.values()):
                return _("The data sent do not have the shape of a form: every field must hold a text.")
            texts += [*data.keys(), *(item for value in data.values()
                                      for item in (value if isinstance(value, list) else [value]))]
        else:
            texts += list(_pairs(request.form))
            texts += [name for name in request.files]
            texts += [upload.filename or "" for key in request.files for upload in request.files.getlist(key)]
            if request.files and request.endpoint not in FILE_ENDPOINTS:
                return _("The data sent hold a file where the form expects a text.")
    if any("\x00" in text for text in texts):
        return _("The data sent contain a null character (NUL), which no form of the portal sends.")
    if any(_SURROGATE.search(text) for text in texts):  # only JSON can carry one (a "\ud800" escape)
        return _("The data sent contain a character that is not valid text (a lone surrogate).")
    return None


def _refuse_what_no_form_sends():
    limit = FILE_ENDPOINTS.get(request.endpoint or "")
    if limit:  # a page that takes larger files: its own limit, and a little more for the rest of its form
        request.max_content_length = int(current_app.config[limit]) + 64 * 1024
    problem = body_problem()
    if problem is None:
        return None
    return render_template("errors/error.html", status=400, title=_("Request not accepted"), message=problem), 400


def register_bodies(app: Flask) -> None:
    """Check the body before every other hook of the request (CSRF and the rate limits included)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_what_no_form_sends)
