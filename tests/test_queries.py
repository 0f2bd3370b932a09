"""SQL statements per page do not grow with the application: the same from 10 to 1,000 partners, and "Le mie
domande" the same from 1 to 100 applications (it reads the summaries, never the documents or the rules)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from patti_web import domande
from patti_web.extensions import db
from patti_web.portal import current_edition
from tests.support.samples import sample_domanda

PAGES = ["", "/checklist", "/partenariato", "/riepilogo", "/capofila", "/territorio", "/settori", "/fabbisogni",
         "/interventi", "/partenariato/p1", "/fabbisogni/F1", "/domanda.json"]


@contextmanager
def counted():
    """Count the SQL statements sent to the database inside the block."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def statements_per_page(client, application_id: int) -> dict[str, int]:
    out = {}
    for page in PAGES:
        url = f"/domande/{application_id}{page}"
        client.get(url)  # a first visit may analyse the version (once per version and process)
        with counted() as statements:
            response = client.get(url)
        assert response.status_code == 200, url
        out[page or "/"] = len(statements)
    return out


def test_statements_per_page_do_not_depend_on_the_number_of_partners(auth_client, user):
    counts = {}
    for partners in (10, 1000):
        head = domande.import_domanda(sample_domanda(current_edition(), partners), user)
        counts[partners] = statements_per_page(auth_client, head.id)
    assert counts[10] == counts[1000], counts
    # The logged-in user, then the application's columns; its document only when the version is not analysed yet.
    assert set(counts[10].values()) == {2}, counts
    print(f"\nSQL statements per page, 10 and 1,000 partners: {counts[10]}")


def test_the_list_of_applications_costs_the_same_for_1_and_100(auth_client, user):
    domanda = sample_domanda(current_edition(), 6)
    domande.import_domanda(domanda, user)
    auth_client.get("/domande")
    with counted() as one:
        assert auth_client.get("/domande").status_code == 200
    for _ in range(99):
        domande.import_domanda(domanda, user)
    with counted() as hundred:
        html = auth_client.get("/domande").get_data(as_text=True)
    assert html.count('href="/domande/') >= 100
    assert len(one) == len(hundred) == 2, (one, hundred)  # the user, the summaries
    print(f"\nSQL statements of Le mie domande: {len(one)} for 1 application, {len(hundred)} for 100")
