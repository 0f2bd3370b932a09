"""The migrations build the schema the models describe, and move existing applications both ways.

Upgrade an empty SQLite: nothing is pending. Then, on SQLite and (when CI starts one) on PostgreSQL: an application
stored in the tables of the previous schema becomes one document, is changed through the services, goes back into
the tables on downgrade, and comes up again.
"""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from patti_web import create_app, domande
from patti_web.avviso.domanda import Partner
from patti_web.config import TestConfig
from patti_web.extensions import db

BEFORE = "6f0656252c5f"  # the last schema with one table per part


def _app(url: str):
    return create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                       "SQLALCHEMY_DATABASE_URI": url})


def test_upgrade_on_an_empty_database_leaves_no_pending_model_change(tmp_path):
    url = f"sqlite:///{tmp_path / 'vuoto.sqlite3'}"
    with _app(url).app_context():
        upgrade()
        engine = create_engine(url)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        assert {"application", "revision", "user_account", "pending_form"} <= set(inspect(engine).get_table_names())
        downgrade(revision="base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        engine.dispose()


OLD_ROWS = [
    "insert into user_account (id, email, nome, password_hash, created_at) "
    "values (7, 'giulia@example.it', 'Giulia', 'x', '2026-01-01')",
    "insert into application (id, edizione, titolo, territorio_ambito, created_at, updated_at, owner_id) "
    "values (3, 'lombardia_2023', 'Patto «Saccà» & soci', 'interprovinciale', '2026-01-01', '2026-01-02', 7)",
    "insert into application (id, edizione, titolo, territorio_ambito, created_at, updated_at, owner_id) "
    "values (4, 'lombardia_2023', 'Vuota', '', '2026-01-01', '2026-01-01', null)",
    "insert into lead_partner (application_id, denominazione, tipologia, codice_fiscale, sede_indirizzo, sede_comune, "
    "sede_provincia, sede_cap, pec, legale_rappresentante_nome, legale_rappresentante_cognome, "
    "legale_rappresentante_codice_fiscale, referente_nome, referente_cognome, referente_email, referente_telefono) "
    "values (3, 'CCIAA di Brescia', 'camera_commercio', '80013870177', 'Via Einaudi 23', 'Brescia', 'BS', '25121', "
    "'p@pec.it', 'Roberto', 'Saccà', 'RSSMRA85T10A562S', 'Giulia', 'Bianchi', 'g@b.it', '030 1')",
    # Two partners stored in the opposite order of their ids: the user's order is `posizione`.
    "insert into partner (id, application_id, posizione, denominazione, categoria, codice_fiscale, sede_indirizzo, "
    "sede_comune, sede_provincia, sede_cap, pec, referente_nome, referente_cognome, referente_email, "
    "referente_telefono) values (11, 3, 1, 'Secondo', 'sindacati', '80016330179', '', 'Brescia', 'BS', '', '', '', '', "
    "'', '')",
    "insert into partner (id, application_id, posizione, denominazione, categoria, codice_fiscale, sede_indirizzo, "
    "sede_comune, sede_provincia, sede_cap, pec, referente_nome, referente_cognome, referente_email, "
    "referente_telefono) values (12, 3, 0, 'Primo', 'imprese', '00859790172', 'Via X', 'Lumezzane', 'BS', '25065', "
    "'', 'Marco', 'Rossi', 'm@r.it', '')",
    "insert into territory_province (application_id, posizione, sigla) values (3, 0, 'MN')",
    "insert into territory_province (application_id, posizione, sigla) values (3, 1, 'BS')",
    "insert into sector (id, application_id, posizione, descrizione) values (5, 3, 0, 'Meccanica')",
    "insert into sector_ateco (sector_id, posizione, codice) values (5, 0, '28.41')",
    "insert into sector_ateco (sector_id, posizione, codice) values (5, 1, '25.62')",
    "insert into need (id, application_id, posizione, codice, titolo, descrizione, lacune_politiche_attive) "
    "values (6, 3, 0, 'F 1', 'Saldatori', 'Mancano.', 'Nessun corso.')",
    "insert into need_source (need_id, posizione, titolo, autore, anno, url) values (6, 0, 'Excelsior', 'Unioncamere', "
    "2022, 'https://excelsior.unioncamere.net/')",
    "insert into need_source (need_id, posizione, titolo, autore, anno, url) values (6, 1, 'Indagine', 'CCIAA', null, "
    "'')",
    "insert into intervention (id, application_id, posizione, titolo, descrizione, destinatari) "
    "values (8, 3, 0, 'Corso', 'Un corso.', 'Giovani')",
    "insert into intervention_need (intervention_id, posizione, codice) values (8, 0, 'F 1')",
    "insert into intervention_need (intervention_id, posizione, codice) values (8, 1, 'F9')",
]


def _old_tables(connection) -> dict[str, list]:
    queries = {
        "application": "select id, titolo, territorio_ambito, owner_id from application order by id",
        "lead_partner": "select application_id, denominazione, legale_rappresentante_cognome, referente_telefono "
                        "from lead_partner order by application_id",
        "partner": "select application_id, posizione, denominazione, categoria, sede_cap, referente_email "
                   "from partner order by application_id, posizione",
        "territory_province": "select application_id, posizione, sigla from territory_province order by posizione",
        "sector_ateco": "select posizione, codice from sector_ateco order by posizione",
        "need": "select application_id, codice, titolo from need",
        "need_source": "select posizione, titolo, anno from need_source order by posizione",
        "intervention_need": "select posizione, codice from intervention_need order by posizione",
    }
    return {name: [tuple(row) for row in connection.execute(text(query))] for name, query in queries.items()}


def _migrate_with_data_both_ways(app) -> None:
    with app.app_context():
        downgrade(revision="base")
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            for statement in OLD_ROWS:
                connection.execute(text(statement))
            before = _old_tables(connection)

        upgrade()
        state = domande.load(3, None)
        domanda = state.domanda
        assert state.versione == 1 and state.head.owner_id == 7
        assert domanda.titolo == "Patto «Saccà» & soci"
        assert domanda.capofila.legale_rappresentante.cognome == "Saccà"
        assert [p.denominazione for p in domanda.partner] == ["Primo", "Secondo"]
        assert all(p.id for p in domanda.partner) and domanda.partner[0].referente.email == "m@r.it"
        assert (domanda.territorio.ambito, domanda.territorio.province) == ("interprovinciale", ["MN", "BS"])
        assert domanda.settori[0].ateco == ["28.41", "25.62"]
        # "F 1" cannot name a page: it becomes F10 (after F9, which an intervention still cites), cited as such.
        assert domanda.fabbisogni[0].id == "F10" and domanda.interventi[0].fabbisogni == ["F10", "F9"]
        assert [(f.titolo, f.anno) for f in domanda.fabbisogni[0].fonti] == [("Excelsior", 2022), ("Indagine", None)]
        head = state.head
        assert (head.titolo, head.capofila_denominazione, head.province, head.n_partner) == (
            "Patto «Saccà» & soci", "CCIAA di Brescia", "MN,BS", 2)
        assert head.n_errori > 0  # the summary was computed by the rules, not left at zero
        assert domande.load(4, None).domanda.titolo == "Vuota"
        # Accounts made before addresses were confirmed by mail count as confirmed from the day they registered.
        with db.engine.connect() as connection:
            confirmed, staff = connection.execute(text(
                "select email_confermata_at, staff from user_account where id = 7")).one()
        assert str(confirmed).startswith("2026-01-01") and not staff
        # A membership, so that going back drops a table that holds rows.
        with db.engine.begin() as connection:
            connection.execute(text("insert into user_account (id, email, nome, password_hash, created_at, staff) "
                                    "values (8, 'l@example.it', 'L', 'x', '2026-01-01', false)"))
            connection.execute(text("insert into membership (application_id, user_id, ruolo, created_at) "
                                    "values (3, 8, 'lettore', '2026-01-02')"))
        # A change through the portal, then back to the old schema.
        third = Partner(denominazione="Terzo", categoria="enti_bilaterali", rea="BS-1")
        domande.add_item(3, None, "partenariato", third)
        assert len(domande.revisions(3, None)) == 2
        db.session.remove()

        downgrade(revision=BEFORE)
        with db.engine.connect() as connection:
            after = _old_tables(connection)
        assert after["application"] == before["application"]
        # An application without a lead partner gets an empty one, as the old portal stored for every application.
        assert after["lead_partner"] == [*before["lead_partner"], (4, "", "", "")]
        assert after["partner"] == [*before["partner"], (3, 2, "Terzo", "enti_bilaterali", "", "")]
        assert after["territory_province"] == before["territory_province"]
        assert after["sector_ateco"] == before["sector_ateco"]
        assert after["need"] == [(3, "F10", "Saldatori")]
        assert after["need_source"] == before["need_source"]
        assert after["intervention_need"] == [(0, "F10"), (1, "F9")]

        upgrade()  # and up again: the same content
        assert [p.denominazione for p in domande.load(3, None).domanda.partner] == ["Primo", "Secondo", "Terzo"]
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def test_existing_applications_move_into_documents_and_back_on_sqlite(tmp_path):
    _migrate_with_data_both_ways(_app(f"sqlite:///{tmp_path / 'dati.sqlite3'}"))


@pytest.mark.skipif(not os.environ.get("PATTI_TEST_POSTGRES_URL"), reason="no PostgreSQL server")
def test_existing_applications_move_into_documents_and_back_on_postgresql():
    from test_postgres import postgres_app

    _migrate_with_data_both_ways(postgres_app())
