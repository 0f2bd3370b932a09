"""Property tests (hypothesis): whatever a file or a form holds, the portal answers in Italian and never fails.

- The JSON reader: valid documents with any value put anywhere, any JSON, any bytes: a `Domanda` or a
  `DocumentError`, nothing else; `patti check` exits 0, 1 or 2, never with a traceback.
- Every form POST of the portal, as the titolare (and the account forms as a visitor), with the form's own field
  names and extra ones holding any text, huge numbers, control characters, or bytes that are not UTF-8: never a
  500.
- Every form POST with a JSON body of any shape (any value types, nested, NUL, lists longer than a form allows), on
  SQLite and on PostgreSQL: 4xx with an Italian message, or done; never a 500. The statuses seen per route are
  printed (`-s`).

The numbers of examples are set here (settings below); the closing note of issue 10 quotes what a run reported.
"""

from __future__ import annotations

import copy
import json
import math
from io import BytesIO

import pytest
from helpers import DATA
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from patti_web.avviso.domanda import DocumentError, Domanda, read_document

VALID = json.loads((DATA / "valida.json").read_text(encoding="utf-8"))
ANY_CHARACTER = st.characters(exclude_categories=())  # surrogates and control characters included
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**300, max_value=10**5000),
    st.floats(allow_nan=False), st.text(ANY_CHARACTER, max_size=50),
    st.sampled_from(["", "patti-web/domanda@2", "patti-web/domanda@1", "F1", "BS", "47.11", "\ud800", "\x00"]),
)
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(ANY_CHARACTER, max_size=12), inner, max_size=5)),
    max_leaves=20)
READER_SETTINGS = settings(max_examples=500, deadline=None)


def _paths(value, prefix=()):
    """Every place in a JSON value (as a tuple of keys and indexes)."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


PATHS = [p for p in _paths(VALID) if p]


def _put(document: dict, path: tuple, value) -> dict:
    changed = copy.deepcopy(document)
    target = changed
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return changed


def _dumps(value) -> str:
    """JSON text; integers too long for Python's own conversion are written out by hand."""
    try:
        return json.dumps(value, ensure_ascii=True, allow_nan=False)
    except ValueError:
        return '{"format": "patti-web/domanda@2", "titolo": ' + "9" * 5000 + "}"


def _read(text: str | bytes):
    try:
        result = read_document(text)
    except DocumentError as error:
        assert str(error) and "Traceback" not in str(error)
        return None
    assert isinstance(result, Domanda)
    return result


@READER_SETTINGS
@given(path=st.sampled_from(PATHS), value=JSON_VALUES)
def test_a_valid_document_with_any_value_anywhere_is_read_or_refused_in_words(path, value):
    _read(_dumps(_put(VALID, path, value)))


@settings(max_examples=200, deadline=None)
@given(value=JSON_VALUES)
def test_any_json_is_read_or_refused_in_words(value):
    _read(_dumps(value))


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300) | st.builds(lambda b: json.dumps(VALID).encode()[: len(b) * 7], st.binary()))
def test_any_bytes_are_read_or_refused_in_words(data):
    _read(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS), value=JSON_VALUES)
def test_patti_check_exits_0_1_or_2_never_with_a_traceback(runner, tmp_path, path, value):
    file = tmp_path / "domanda.json"
    file.write_text(_dumps(_put(VALID, path, value)), encoding="ascii")
    result = runner.invoke(args=["patti", "check", str(file)])
    assert result.exit_code in (0, 1, 2)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


# Every form POST --------------------------------------------------------------------------------------------------

TEXTS = st.one_of(
    st.text(ANY_CHARACTER.filter(lambda c: not 0xD800 <= ord(c) <= 0xDFFF), max_size=40),
    st.sampled_from(["", "0", "-1", "1e999", "99999999999999999999999999", str(2**63), "F8", "IT0123", "www.x",
                     "BS", "ZZ", "collaboratore", "lettore", "titolare", "salva", "cerca", "cerca:9999",
                     "aggiungi:56.30", "togli:25.62", "togli-fonte:0", "aggiungi-fonte", "invio", "verifica",
                     "mio", "salvato", "pec,titolo", "fonti",
                     "x" * 5000, "\x00", "\u202e", "😀", "nan", "inf"]),
)


def _fields(app, form_class, **kwargs) -> list[str]:
    with app.test_request_context():
        return [field.name for field in form_class(formdata=None, **kwargs)] + ["fonti-0-titolo", "fonti-7-anno",
                                                                                  "ateco", "azione", "q"]


@pytest.fixture
def form_routes(app, stored):
    """(url, field names) of every form a titolare can send, on the stored application: every section's pages from
    the registry, then the rest."""
    return _form_routes(app, stored)


def _form_routes(app, stored):
    from patti_web import domande
    from patti_web.avviso import sezioni
    from patti_web.web.domande import forms as f
    from patti_web.web.persone import forms as p

    d = domande.load(stored.id, None).domanda
    base = f"/domande/{stored.id}"
    # The first partner's personal link (made by the titolare), whose page takes the partner's signed letter.
    from flask import url_for

    from patti_web.extensions import db
    from patti_web.persone.models import User
    from patti_web.presentazione import links

    owner = db.session.get(User, stored.owner_id)
    with app.test_request_context():
        _link, token = links.make_link(stored.id, owner, d.partner[0].id)
        adesione = url_for("adesione.upload", token=token)
    routes = []
    for part in sezioni.SEZIONI:
        fields = [*_fields(app, f.SectionForm.of(part.chiave)), "scelta-pec", "scelta-titolo", "scelta-fonti"]
        if not part.is_list:
            routes.append((f"{base}/{part.chiave}", fields))
            continue
        item = part.items(d)[0].id
        routes += [(f"{base}/{part.chiave}/nuovo", fields), (f"{base}/{part.chiave}/{item}", fields),
                   (f"{base}/{part.chiave}/{item}/rimuovi", ["versione"])]
        if getattr(f.SectionForm.of(part.chiave), "on_the_list", False):
            routes.append((f"{base}/{part.chiave}", fields))
    return [
        *routes,
        (f"{base}/persone/invita", _fields(app, p.InviteForm)),
        (f"{base}/persone/999/ruolo", _fields(app, p.RoleForm)),
        (f"{base}/duplica", ["form_token"]),
        (f"{base}/presentazione/carica", ["documento", "firmato", "manifestazione", "adesione:p1"]),
        (f"{base}/presentazione/link/p1", ["csrf_token"]),
        (f"{base}/presentazione/link/p1/revoca", ["csrf_token"]),
        (adesione, ["firmato", "documento", "adesione:p2"]),
        ("/domande/nuova", _fields(app, f.NewDomandaForm)),
        ("/account/password", _fields(app, p.ChangePasswordForm)),
        ("/registrati", _fields(app, p.RegisterForm)),
        ("/accedi", _fields(app, p.LoginForm)),
        ("/password-dimenticata", _fields(app, p.ForgotPasswordForm)),
    ]


def _limits_off(monkeypatch):
    from patti_web.extensions import limiter

    monkeypatch.setattr(limiter, "enabled", False)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_form_post_ever_answers_500(auth_client, form_routes, monkeypatch, data):
    _limits_off(monkeypatch)
    url, names = data.draw(st.sampled_from(form_routes), label="form")
    chosen = data.draw(st.lists(st.sampled_from(names) | st.text(max_size=8), max_size=12), label="fields")
    form = [(name, data.draw(TEXTS, label=name)) for name in chosen]
    headers = {"HX-Request": "true"} if data.draw(st.booleans(), label="htmx") else {}
    response = auth_client.post(url, data=MultiDict(form), headers=headers)
    event(f"{url.split('/')[-1]}: {response.status_code}")
    assert response.status_code < 500, (url, form, response.status_code)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_form_post_of_bytes_that_are_not_utf8_answers_500(auth_client, form_routes, monkeypatch, data):
    _limits_off(monkeypatch)
    url, _names = data.draw(st.sampled_from(form_routes), label="form")
    body = data.draw(st.binary(max_size=200), label="body")
    response = auth_client.post(url, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500, (url, body, response.status_code)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=JSON_VALUES)
def test_no_import_ever_answers_500(auth_client, value):
    document = _dumps(value if isinstance(value, dict) else {**VALID, "titolo": value})
    response = auth_client.post("/domande/importa", data={"documento": (BytesIO(document.encode()), "d.json")},
                                content_type="multipart/form-data")
    assert response.status_code in (303, 422)


def test_the_reader_refuses_huge_integers_and_lone_surrogates_in_words():
    for text in ('{"format": "patti-web/domanda@2", "titolo": ' + "9" * 4300 + "}",
                 json.dumps({**VALID, "titolo": "\ud800"}), json.dumps({**VALID, "titolo": math.inf})):
        with pytest.raises(DocumentError):
            read_document(text)


# JSON bodies of any shape, on SQLite and PostgreSQL ---------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database(request, tmp_path):
    """(client logged in as the titolare, its form routes, the app, what each route answered): the portal on a SQLite
    file built by the migrations, or on the PostgreSQL server CI starts."""
    from collections import Counter

    from flask_migrate import downgrade

    from patti_web.extensions import db
    from patti_web.persone import accounts
    from tests.support.sandbox import LoggedInClient, make_sandbox_app

    if request.param == "sqlite":
        app = make_sandbox_app(tmp_path, WTF_CSRF_ENABLED=False)
    else:
        from test_postgres import fresh_postgres_app

        app = fresh_postgres_app()
    app.config["PATTI_PDF_CACHE"] = str(tmp_path / "pdf-cache")
    seen: Counter = Counter()
    with app.app_context():
        from patti_web import domande
        from patti_web.avviso.domanda import read_document

        user = accounts.register_user("giulia@example.it", "Giulia Bianchi", "password-di-prova", confirmed=True)
        stored = domande.import_domanda(read_document(json.dumps(VALID)), user)
        routes = _form_routes(app, stored)
        app.test_client_class = LoggedInClient
        client = app.test_client(user=user)
        yield client, routes, app, seen
        db.session.remove()
        if request.param == "postgresql":
            downgrade(revision="base")
        db.engine.dispose()
    print(f"\nJSON bodies on {request.param}: {sum(seen.values())} examples")
    for (route, status), count in sorted(seen.items()):
        print(f"  {route}: {status} x{count}")


def _route_of(app, url: str) -> str:
    return app.url_map.bind("localhost").match(url, method="POST")[0]


FORM_SHAPED = st.one_of(TEXTS, st.lists(TEXTS, max_size=3))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_json_body_of_any_shape_answers_500(any_database, monkeypatch, data):
    client, routes, app, seen = any_database
    _limits_off(monkeypatch)
    url, names = data.draw(st.sampled_from(routes), label="form")
    keys = st.sampled_from(names) | st.text(ANY_CHARACTER.filter(lambda c: not 0xD800 <= ord(c) <= 0xDFFF), max_size=8)
    body = data.draw(st.one_of(
        st.dictionaries(keys, FORM_SHAPED, max_size=10),  # the shape of a form: it reaches the form's checks
        st.dictionaries(keys, JSON_VALUES, max_size=8),  # any value types
        JSON_VALUES,  # not even an object
        st.builds(lambda n: {f"fonti-{i}-titolo": f"Studio {i}" for i in range(n)} | {"azione": "aggiungi-fonte"},
                  st.integers(40, 60)),  # more sources than a need may have
    ), label="body")
    headers = {"HX-Request": "true"} if data.draw(st.booleans(), label="htmx") else {}
    response = client.post(url, data=_dumps(body), content_type="application/json", headers=headers)
    seen[(_route_of(app, url), response.status_code)] += 1
    event(f"{response.status_code}")
    assert response.status_code < 500, (url, body, response.status_code)
    if 400 <= response.status_code < 500:
        assert 'lang="it"' in response.get_data(as_text=True) or response.status_code in (409, 422)
