"""The date the documents bear, outside the submission window: a warning on the pages that offer them."""

from __future__ import annotations

from datetime import date, timedelta
from html import unescape

import pytest

from patti_web import domande
from patti_web.avviso.edizioni import load_edition
from patti_web.avviso.regole import act_date_warning
from patti_web.documenti.downloads import document_date
from patti_web.i18n import format_date

EDITION = load_edition()  # window 16/01/2023 - 28/02/2023


@pytest.mark.parametrize("day", [date(2023, 1, 16), date(2023, 2, 1), date(2023, 2, 28)])
def test_a_day_inside_the_window_needs_no_warning(day):
    assert act_date_warning(day, EDITION) is None


@pytest.mark.parametrize(("day", "side"), [(date(2023, 1, 15), "before"), (date(2022, 6, 1), "before"),
                                          (date(2023, 3, 1), "after"), (date(2026, 12, 2), "after")])
def test_a_day_outside_the_window_is_a_warning_naming_the_day_and_the_window(day, side):
    message = act_date_warning(day, EDITION)
    assert message is not None
    for shown in (day, EDITION.apertura, EDITION.chiusura):
        assert format_date(shown) in message
    # What to do, in Italian: before the window, make the last changes once it opens and sign the new download;
    # after it, an act signed inside the window (or inside an extended one).
    assert ("precedente all'apertura della finestra" in message) is (side == "before")
    assert ("successiva alla chiusura della finestra" in message) is (side == "after")
    assert "scaricare di nuovo i documenti e firmare quelli" in message


def test_a_configured_window_moves_the_warning():
    extended = EDITION.with_window(chiusura=date(2023, 3, 15))
    assert act_date_warning(date(2023, 3, 1), extended) is None
    assert act_date_warning(date(2023, 3, 16), extended) is not None


# The pages.


@pytest.fixture
def client(auth_client):
    return auth_client


def _with_window(app, apertura: date, chiusura: date) -> None:
    app.extensions["patti_edizione"] = app.extensions["patti_edizione"].with_window(apertura, chiusura)


def _dated(app, stored) -> date:
    with app.app_context():
        return document_date(domande.load(stored.id, None))


@pytest.mark.parametrize("page", ["riepilogo", "presentazione"])
def test_the_documents_pages_warn_when_the_act_bears_a_date_outside_the_window(app, client, stored, page):
    day = _dated(app, stored)  # the day of the last change: today
    _with_window(app, day + timedelta(days=1), day + timedelta(days=30))
    html = unescape(client.get(f"/domande/{stored.id}/{page}").get_data(as_text=True))
    assert 'id="data-fuori-finestra"' in html
    with app.app_context():
        assert act_date_warning(day, app.extensions["patti_edizione"]) in html


@pytest.mark.parametrize("page", ["riepilogo", "presentazione"])
def test_the_documents_pages_say_nothing_of_a_date_inside_the_window(app, client, stored, page):
    day = _dated(app, stored)
    _with_window(app, day - timedelta(days=1), day + timedelta(days=30))
    response = client.get(f"/domande/{stored.id}/{page}")
    assert response.status_code == 200
    assert 'id="data-fuori-finestra"' not in response.get_data(as_text=True)
