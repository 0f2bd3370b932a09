"""One document per application (patti-web/domanda@2), a version, a summary, and revisions

The parts of an application move from their tables into one JSON document (JSONB on PostgreSQL) on the
application's row; the row also gets a version number and a summary for lists; every save now appends a revision
(JSON Patch). The one-time form tokens move into the revisions.

Upgrade: each application's parts become its document (list items get ids; a need whose code could not name a page
gets the next free F-code, its interventions following it), version 1 with one revision ("migrazione"); the summary
columns read off the document are filled in, those the rules count (errors, warnings, sections done) are left at 0:
this migration imports no code of the portal, whose rules change; revision 5e1a9c2b7d40 has every summary counted
again by the rules of the release that reads it. Downgrade: documents go back into the tables; what
only @2 can hold (ids, the partners' legal representatives, REA, CCNL, networks, the lead partner's sector, the
description of the area) is dropped, and so is the history.

Revision ID: d273468dd65a
Revises: 6f0656252c5f
Create Date: 2026-11-25 13:00:33.694388

"""
import re
import secrets
from datetime import datetime, timezone

import jsonpatch
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'd273468dd65a'
down_revision = '6f0656252c5f'
branch_labels = None
depends_on = None

Document = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
SAFE_NEED_ID = re.compile(r"^(?!\.+$)[A-Za-z0-9_.-]+$")

# The old tables, as far as this migration reads and writes them.
meta = sa.MetaData()
application = sa.Table(
    'application', meta,
    sa.Column('id', sa.Integer, primary_key=True), sa.Column('edizione', sa.String(60)),
    sa.Column('titolo', sa.String(300)), sa.Column('territorio_ambito', sa.String(40)),
    sa.Column('owner_id', sa.Integer), sa.Column('created_at', sa.DateTime), sa.Column('updated_at', sa.DateTime),
    sa.Column('stato', sa.String(20)), sa.Column('versione', sa.Integer), sa.Column('documento', Document),
    sa.Column('capofila_denominazione', sa.String(300)), sa.Column('capofila_tipologia', sa.String(60)),
    sa.Column('ambito', sa.String(40)), sa.Column('province', sa.String(100)), sa.Column('n_partner', sa.Integer),
    sa.Column('n_errori', sa.Integer), sa.Column('n_avvertenze', sa.Integer),
    sa.Column('sezioni_completate', sa.Integer),
)
PERSON = ("nome", "cognome", "codice_fiscale")
CONTACT = ("nome", "cognome", "email", "telefono")
PLACE = ("indirizzo", "comune", "provincia", "cap")


def _columns(*names, **prefixed):
    return [*names, *(f"{prefix}_{name}" for prefix, fields in prefixed.items() for name in fields)]


def _table(name, *columns):
    def kind(column):
        return sa.Integer if column.endswith('_id') or column in ('posizione', 'anno') else sa.Text

    return sa.Table(name, meta, sa.Column('id', sa.Integer, primary_key=True),
                    *(sa.Column(c, kind(c)) for c in columns))


lead_partner = _table('lead_partner', 'application_id', *_columns(
    'denominazione', 'tipologia', 'codice_fiscale', 'pec', sede=PLACE, legale_rappresentante=PERSON,
    referente=CONTACT))
partner = _table('partner', 'application_id', 'posizione', *_columns(
    'denominazione', 'categoria', 'codice_fiscale', 'pec', sede=PLACE, referente=CONTACT))
territory_province = _table('territory_province', 'application_id', 'posizione', 'sigla')
sector = _table('sector', 'application_id', 'posizione', 'descrizione')
sector_ateco = _table('sector_ateco', 'sector_id', 'posizione', 'codice')
need = _table('need', 'application_id', 'posizione', 'codice', 'titolo', 'descrizione', 'lacune_politiche_attive')
need_source = _table('need_source', 'need_id', 'posizione', 'titolo', 'autore', 'anno', 'url')
intervention = _table('intervention', 'application_id', 'posizione', 'titolo', 'descrizione', 'destinatari')
intervention_need = _table('intervention_need', 'intervention_id', 'posizione', 'codice')
revision_table = sa.Table(
    'revision', meta, sa.Column('id', sa.Integer, primary_key=True), sa.Column('application_id', sa.Integer),
    sa.Column('versione', sa.Integer), sa.Column('user_id', sa.Integer), sa.Column('created_at', sa.DateTime),
    sa.Column('sezione', sa.String(30)), sa.Column('azione', sa.String(20)), sa.Column('elemento', sa.String(20)),
    sa.Column('form_token', sa.String(64)), sa.Column('patch', Document), sa.Column('reverse', Document),
)


def _rows(connection, table, key, keys):
    """Rows of `table` whose `key` is in `keys`, grouped by it, in the user's order."""
    grouped = {}
    if not keys:
        return grouped
    order = [table.c.posizione] if 'posizione' in table.c else [table.c.id]
    for row in connection.execute(sa.select(table).where(table.c[key].in_(keys)).order_by(*order)):
        grouped.setdefault(int(row._mapping[key]), []).append(row._mapping)
    return grouped


def _nested(row, prefix, names):
    return {name: row[f"{prefix}_{name}"] or "" for name in names}


def _ids(items):
    taken = set()
    for item in items:
        while (candidate := secrets.token_hex(4)) in taken:
            pass
        taken.add(candidate)
        item["id"] = candidate
    return items


def _next_need_code(needs, interventions):
    codes = [n["id"] for n in needs] + [c for i in interventions for c in i["fabbisogni"]]
    numbers = [int(c[1:]) for c in codes if c[:1] == "F" and c[1:].isdigit() and len(c) < 10]
    return f"F{max(numbers, default=0) + 1}"


def _document(connection, app):
    """The @2 document of one application of the old schema."""
    app_id = app.id
    lead = _rows(connection, lead_partner, 'application_id', [app_id]).get(app_id, [None])[0]
    capofila = {
        "denominazione": "", "tipologia": "", "codice_fiscale": "", "sede": dict.fromkeys(PLACE, ""), "pec": "",
        "legale_rappresentante": dict.fromkeys(PERSON, ""), "referente": dict.fromkeys(CONTACT, ""),
        "rappresentanza": {"descrizione": "", "ateco": []},
    }
    if lead is not None:
        capofila.update({k: lead[k] or "" for k in ("denominazione", "tipologia", "codice_fiscale", "pec")})
        capofila.update(sede=_nested(lead, "sede", PLACE), legale_rappresentante=_nested(lead, "legale_rappresentante",
                        PERSON), referente=_nested(lead, "referente", CONTACT))
    partners = _ids([
        {"id": "", **{k: p[k] or "" for k in ("denominazione", "categoria", "codice_fiscale")},
         "sede": _nested(p, "sede", PLACE), "pec": p["pec"] or "", "referente": _nested(p, "referente", CONTACT),
         "legale_rappresentante": dict.fromkeys(PERSON, ""), "rea": "", "ccnl": "", "rete": None}
        for p in _rows(connection, partner, 'application_id', [app_id]).get(app_id, [])
    ])
    sectors = _rows(connection, sector, 'application_id', [app_id]).get(app_id, [])
    codes = _rows(connection, sector_ateco, 'sector_id', [s["id"] for s in sectors])
    needs = _rows(connection, need, 'application_id', [app_id]).get(app_id, [])
    sources = _rows(connection, need_source, 'need_id', [n["id"] for n in needs])
    interventions = _rows(connection, intervention, 'application_id', [app_id]).get(app_id, [])
    cited = _rows(connection, intervention_need, 'intervention_id', [i["id"] for i in interventions])
    document = {
        "format": "patti-web/domanda@2",
        "titolo": app.titolo or "",
        "capofila": capofila,
        "partner": partners,
        "territorio": {"ambito": app.territorio_ambito or "", "descrizione": "", "province": [
            p["sigla"] for p in _rows(connection, territory_province, 'application_id', [app_id]).get(app_id, [])]},
        "settori": _ids([{"id": "", "descrizione": s["descrizione"] or "",
                          "ateco": [c["codice"] for c in codes.get(s["id"], [])]} for s in sectors]),
        "fabbisogni": [
            {"id": n["codice"] or "", "titolo": n["titolo"] or "", "descrizione": n["descrizione"] or "",
             "lacune_politiche_attive": n["lacune_politiche_attive"] or "",
             "fonti": [{"titolo": f["titolo"] or "", "autore": f["autore"] or "",
                        "anno": int(f["anno"]) if f["anno"] is not None else None, "url": f["url"] or ""}
                       for f in sources.get(n["id"], [])]}
            for n in needs
        ],
        "interventi": _ids([
            {"id": "", "titolo": i["titolo"] or "", "descrizione": i["descrizione"] or "",
             "destinatari": i["destinatari"] or "", "fabbisogni": [c["codice"] for c in cited.get(i["id"], [])]}
            for i in interventions
        ]),
    }
    for item in document["fabbisogni"]:
        if not SAFE_NEED_ID.match(item["id"]):
            old = item["id"]
            item["id"] = _next_need_code(document["fabbisogni"], document["interventi"])
            for other in document["interventi"]:
                other["fabbisogni"] = [item["id"] if old.strip() and c == old else c for c in other["fabbisogni"]]
    return document


def _summary(document):
    """The summary columns read off the document. Errors, warnings and sections done are the rules' to count: left at
    0 here, counted when the application is first read (see the docstring)."""
    return {
        "capofila_denominazione": document["capofila"]["denominazione"],
        "capofila_tipologia": document["capofila"]["tipologia"],
        "ambito": document["territorio"]["ambito"],
        "province": ",".join(document["territorio"]["province"])[:100],
        "n_partner": len(document["partner"]),
        "n_errori": 0,
        "n_avvertenze": 0,
        "sezioni_completate": 0,
    }


def upgrade():
    op.create_table('revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('versione', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sezione', sa.String(length=30), nullable=False),
    sa.Column('azione', sa.String(length=20), nullable=False),
    sa.Column('elemento', sa.String(length=20), nullable=False),
    sa.Column('form_token', sa.String(length=64), nullable=True),
    sa.Column('patch', Document, nullable=False),
    sa.Column('reverse', Document, nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_revision_application_id_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_revision_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revision')),
    sa.UniqueConstraint('application_id', 'form_token', name='uq_revision_application_id_form_token'),
    sa.UniqueConstraint('application_id', 'versione', name='uq_revision_application_id_versione')
    )
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stato', sa.String(length=20), nullable=False, server_default='bozza'))
        batch_op.add_column(sa.Column('versione', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('documento', Document, nullable=True))
        for name, length in (('capofila_denominazione', 300), ('capofila_tipologia', 60), ('ambito', 40),
                             ('province', 100)):
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=False, server_default=''))
        for name in ('n_partner', 'n_errori', 'n_avvertenze', 'sezioni_completate'):
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default='0'))

    connection = op.get_bind()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for app in connection.execute(sa.select(application.c.id, application.c.titolo, application.c.territorio_ambito,
                                            application.c.edizione, application.c.owner_id)).all():
        document = _document(connection, app)
        connection.execute(application.update().where(application.c.id == app.id).values(
            documento=document, versione=1, stato='bozza', **_summary(document)))
        connection.execute(revision_table.insert().values(
            application_id=app.id, versione=1, user_id=app.owner_id, created_at=now, sezione='documento',
            azione='migrazione', elemento='', patch=jsonpatch.make_patch({}, document).patch,
            reverse=jsonpatch.make_patch(document, {}).patch))

    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.alter_column('documento', existing_type=Document, nullable=False)
        for name in ('stato', 'versione', 'capofila_denominazione', 'capofila_tipologia', 'ambito', 'province',
                     'n_partner', 'n_errori', 'n_avvertenze', 'sezioni_completate'):
            batch_op.alter_column(name, server_default=None)
        batch_op.drop_column('territorio_ambito')

    for table, index in (('need_source', 'need_id'), ('sector_ateco', 'sector_id'),
                         ('intervention_need', 'intervention_id'), ('used_form_token', 'created_at'),
                         ('intervention', 'application_id'), ('sector', 'application_id'),
                         ('need', 'application_id'), ('territory_province', 'application_id'),
                         ('partner', 'application_id')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_{index}'))
        op.drop_table(table)
    op.drop_table('lead_partner')


def _child(name, *columns, parent=('application_id', 'application')):
    key, parent_table = parent
    op.create_table(name,
    sa.Column(key, sa.Integer(), nullable=False),
    *columns,
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('posizione', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint([key], [f'{parent_table}.id'], name=op.f(f'fk_{name}_{key}_{parent_table}'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}'))
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{name}_{key}'), [key], unique=False)


def _texts(*spec):
    return [sa.Column(name, sa.String(length=length) if length else sa.Text(), nullable=False)
            for name, length in spec]


PLACE_COLUMNS = (('sede_indirizzo', 200), ('sede_comune', 100), ('sede_provincia', 40), ('sede_cap', 10))
CONTACT_COLUMNS = (('referente_nome', 100), ('referente_cognome', 100), ('referente_email', 254),
                   ('referente_telefono', 30))


def downgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('territorio_ambito', sa.String(length=40), nullable=False, server_default=''))
    op.create_table('used_form_token',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_used_form_token'))
    )
    with op.batch_alter_table('used_form_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_form_token_created_at'), ['created_at'], unique=False)
    op.create_table('lead_partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    *_texts(('denominazione', 300), ('tipologia', 60), ('codice_fiscale', 16), *PLACE_COLUMNS, ('pec', 254),
            ('legale_rappresentante_nome', 100), ('legale_rappresentante_cognome', 100),
            ('legale_rappresentante_codice_fiscale', 16), *CONTACT_COLUMNS),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_lead_partner_application_id_application'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_partner')),
    sa.UniqueConstraint('application_id', name=op.f('uq_lead_partner_application_id'))
    )
    _child('intervention', *_texts(('titolo', 300), ('descrizione', None), ('destinatari', None)))
    _child('need', *_texts(('codice', 20), ('titolo', 300), ('descrizione', None), ('lacune_politiche_attive', None)))
    _child('partner', *_texts(('denominazione', 300), ('categoria', 60), ('codice_fiscale', 16), *PLACE_COLUMNS,
                              ('pec', 254), *CONTACT_COLUMNS))
    _child('sector', *_texts(('descrizione', None)))
    _child('territory_province', *_texts(('sigla', 60)))
    _child('intervention_need', *_texts(('codice', 60)), parent=('intervention_id', 'intervention'))
    _child('need_source', *_texts(('titolo', 500), ('autore', 300)), sa.Column('anno', sa.Integer(), nullable=True),
           *_texts(('url', 1000)), parent=('need_id', 'need'))
    _child('sector_ateco', *_texts(('codice', 60)), parent=('sector_id', 'sector'))

    connection = op.get_bind()
    for app in connection.execute(sa.select(application.c.id, application.c.documento)).all():
        _restore(connection, app.id, app.documento)

    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.alter_column('territorio_ambito', server_default=None)
        for name in ('sezioni_completate', 'n_avvertenze', 'n_errori', 'n_partner', 'province', 'ambito',
                     'capofila_tipologia', 'capofila_denominazione', 'documento', 'versione', 'stato'):
            batch_op.drop_column(name)
    op.drop_table('revision')


def _insert(connection, table, **values):
    return connection.execute(table.insert().values(**values)).inserted_primary_key[0]


def _restore(connection, app_id, document):
    """Put one document back into the old tables (what only @2 holds is dropped)."""
    c = document["capofila"]
    connection.execute(application.update().where(application.c.id == app_id).values(
        territorio_ambito=document["territorio"]["ambito"]))
    _insert(connection, lead_partner, application_id=app_id,
            **{k: c[k] for k in ("denominazione", "tipologia", "codice_fiscale", "pec")},
            **{f"sede_{k}": c["sede"][k] for k in PLACE},
            **{f"legale_rappresentante_{k}": c["legale_rappresentante"][k] for k in PERSON},
            **{f"referente_{k}": c["referente"][k] for k in CONTACT})
    for n, p in enumerate(document["partner"]):
        _insert(connection, partner, application_id=app_id, posizione=n,
                **{k: p[k] for k in ("denominazione", "categoria", "codice_fiscale", "pec")},
                **{f"sede_{k}": p["sede"][k] for k in PLACE}, **{f"referente_{k}": p["referente"][k] for k in CONTACT})
    for n, sigla in enumerate(document["territorio"]["province"]):
        _insert(connection, territory_province, application_id=app_id, posizione=n, sigla=sigla)
    for n, s in enumerate(document["settori"]):
        sector_id = _insert(connection, sector, application_id=app_id, posizione=n, descrizione=s["descrizione"])
        for m, code in enumerate(s["ateco"]):
            _insert(connection, sector_ateco, sector_id=sector_id, posizione=m, codice=code)
    for n, f in enumerate(document["fabbisogni"]):
        need_id = _insert(connection, need, application_id=app_id, posizione=n, codice=f["id"], titolo=f["titolo"],
                          descrizione=f["descrizione"], lacune_politiche_attive=f["lacune_politiche_attive"])
        for m, source in enumerate(f["fonti"]):
            _insert(connection, need_source, need_id=need_id, posizione=m, **source)
    for n, i in enumerate(document["interventi"]):
        intervention_id = _insert(connection, intervention, application_id=app_id, posizione=n, titolo=i["titolo"],
                                  descrizione=i["descrizione"], destinatari=i["destinatari"])
        for m, code in enumerate(i["fabbisogni"]):
            _insert(connection, intervention_need, intervention_id=intervention_id, posizione=m, codice=code)
