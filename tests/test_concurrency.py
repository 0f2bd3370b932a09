"""Saves at the same moment, from threads, on a file-backed SQLite and on PostgreSQL (when CI starts one).

Every save is a compare-and-set on the application's version: the loser starts again on the winner's version. So
parallel adds all land, uniqueness holds on the version written, and a stale edit is refused, never applied.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from flask_migrate import downgrade

from patti_web import domande
from patti_web.avviso.domanda import Fabbisogno, Partner, read_document, write_document
from patti_web.extensions import db
from patti_web.persone import accounts
from patti_web.persone.models import User
from patti_web.portal import current_edition
from tests.support.samples import partita_iva, sample_domanda
from tests.support.sandbox import LoggedInClient, make_sandbox_app


@pytest.fixture(params=["sqlite", "postgresql"])
def shared(request, tmp_path):
    """(app, user id, application id): a valid application with 6 partners in a database threads share."""
    if request.param == "sqlite":
        app = make_sandbox_app(tmp_path, WTF_CSRF_ENABLED=False)
    else:
        from test_postgres import fresh_postgres_app

        app = fresh_postgres_app()
    with app.app_context():
        user = accounts.register_user("giulia@example.it", "Giulia", "una password lunga", confirmed=True)
        head = domande.import_domanda(sample_domanda(current_edition(), 6), user)
        ids = user.id, head.id
    yield app, *ids
    with app.app_context():
        db.session.remove()
        if request.param == "postgresql":
            downgrade(revision="base")
        db.engine.dispose()


def in_parallel(app, n: int, work) -> list:
    """Run work(i, user, application_id) in n threads released at once; return results (or exceptions)."""
    barrier = threading.Barrier(n, timeout=60)
    results: list = [None] * n

    def run(i: int, user_id: int) -> None:
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                db.session.close()  # give the connection back: more threads than pooled connections wait here
                barrier.wait()
                results[i] = work(i, user)
            except Exception as exc:  # noqa: BLE001 - the test looks at what each thread got
                results[i] = exc
            finally:
                db.session.remove()

    user_id = app.config["_TEST_USER"]
    threads = [threading.Thread(target=run, args=(i, user_id)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def parallel(shared):
    app, user_id, application_id = shared
    app.config["_TEST_USER"] = user_id

    def parallel(n, work):
        return in_parallel(app, n, lambda i, user: work(i, user, application_id))

    def document():
        """The current state of the application; `document.revisions()`: the versions of its revisions."""
        with app.app_context():
            try:
                return domande.load(application_id, None)
            finally:
                db.session.remove()

    def revisions():
        with app.app_context():
            try:
                return [r.versione for r in domande.revisions(application_id, None)]
            finally:
                db.session.remove()

    document.revisions = revisions

    return parallel, document


def test_20_parallel_adds_of_different_partners_keep_all_20(parallel):
    run, document = parallel

    def add(i, user, application_id):
        partner = Partner(denominazione=f"Partner parallelo {i}", categoria="terzo_settore",
                          codice_fiscale=partita_iva(5000 + i))
        return domande.add_item(application_id, user, "partenariato", partner).item.id

    results = run(20, add)
    assert not [r for r in results if isinstance(r, Exception)], results
    state = document()
    names = [p.denominazione for p in state.domanda.partner]
    assert sorted(n for n in names if n.startswith("Partner parallelo")) == sorted(
        f"Partner parallelo {i}" for i in range(20))
    assert state.versione == 21 and document.revisions() == list(range(1, 22))
    print(f"\n20 parallel adds: {len(names)} partners, version {state.versione}")


def test_10_parallel_adds_of_one_codice_fiscale_keep_exactly_one(parallel):
    run, document = parallel
    cf = partita_iva(777)

    def add(i, user, application_id):
        partner = Partner(denominazione=f"Copia {i}", codice_fiscale=cf)
        return domande.add_item(application_id, user, "partenariato", partner)

    results = run(10, add)
    outcomes = Counter(type(r).__name__ for r in results)
    assert outcomes == {"Saved": 1, "Refused": 9}, results
    assert [p.codice_fiscale for p in document().domanda.partner].count(cf) == 1
    print(f"\n10 parallel adds of {cf}: {dict(outcomes)}")


def test_5_parallel_new_needs_get_5_codes_and_the_export_reads_back(parallel):
    run, document = parallel

    def add(i, user, application_id):
        return domande.add_item(application_id, user, "fabbisogni", Fabbisogno(titolo=f"Fabbisogno {i}")).item.id

    codes = run(5, add)
    assert sorted(codes) == ["F3", "F4", "F5", "F6", "F7"], codes  # the sample has F1 and F2
    domanda = document().domanda
    assert read_document(write_document(domanda)) == domanda
    print(f"\n5 parallel new needs: {sorted(codes)}")


def test_two_stale_edits_of_the_lead_partner_one_wins_the_other_is_refused(parallel):
    run, document = parallel
    capofila = document().domanda.capofila

    def edit(i, user, application_id):
        changed = capofila.model_copy(update={"pec": f"tab{i}@pec.it"})
        return domande.save_section(application_id, user, "capofila", 1,
                                    {"titolo": "Patto", "capofila": changed}).state.versione

    results = run(2, edit)
    winners = [r for r in results if isinstance(r, int)]
    losers = [r for r in results if isinstance(r, domande.Conflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    winner = results.index(winners[0])
    assert document().domanda.capofila.pec == f"tab{winner}@pec.it"  # the newer value survives
    assert [(c.path, c.yours) for c in losers[0].changes] == [("capofila.pec", f"tab{1 - winner}@pec.it")]
    print(f"\nstale edit: version {winners[0]} kept tab{winner}; the other tab got a conflict")


def test_10_parallel_http_adds_of_one_partner_add_it_once(shared):
    """Through the portal: ten browsers post the same partner at once."""
    app, user_id, application_id = shared
    app.test_client_class = LoggedInClient
    cf = partita_iva(888)
    barrier = threading.Barrier(10, timeout=60)
    statuses = [None] * 10

    def post(i):
        with app.app_context():
            client = app.test_client(user=db.session.get(User, user_id))
            db.session.remove()
        barrier.wait()
        response = client.post(f"/domande/{application_id}/partenariato",
                               data={"denominazione": "Stesso partner", "codice_fiscale": cf,
                                     "form_token": f"tab-{i}"})
        statuses[i] = response.status_code

    threads = [threading.Thread(target=post, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert Counter(statuses) == {303: 1, 422: 9}, statuses
    with app.app_context():
        partners = domande.load(application_id, None).domanda.partner
        db.session.remove()
    assert [p.codice_fiscale for p in partners].count(cf) == 1


def test_people_adding_items_while_others_save_from_old_versions_lose_nothing(parallel):
    """Three people add partners while three save Territorio from versions read a moment before (others save in
    between): every save either lands or is refused as a conflict (nothing else: no error), every acknowledged
    partner is there, and each field of Territorio holds the value of the last acknowledged save that changed it."""
    import random
    import time

    run, document = parallel
    rounds = 12
    acknowledged: list[tuple[str, int, object]] = []  # (field, version written, value)
    outcomes: Counter = Counter()

    def work(i, user, application_id):
        rng = random.Random(i)
        errors = []
        for n in range(rounds):
            try:
                if i < 3:
                    partner = Partner(denominazione=f"Aggiunto {i}-{n}", codice_fiscale=partita_iva(9000 + i * 100 + n))
                    saved = domande.add_item(application_id, user, "partenariato", partner)
                    acknowledged.append(("partner", saved.state.versione, partner.denominazione))
                else:
                    state = domande.load(application_id, user)
                    time.sleep(rng.random() / 100)  # others save meanwhile: this form is from an old version
                    territorio = state.domanda.territorio
                    if i == 5:  # one of them changes the provinces, the others the description
                        field, value = "province", ["BS", "BG", "MN", "CR"][: 2 + n % 3]
                        changed = territorio.model_copy(update={"province": value, "ambito": "interprovinciale"})
                    else:
                        field, value = "descrizione", f"Descrizione {i}-{n}"
                        changed = territorio.model_copy(update={"descrizione": value})
                    saved = domande.save_section(application_id, user, "territorio", state.versione,
                                                 {"territorio": changed})
                    acknowledged.append((field, saved.state.versione, value))
                outcomes["saved"] += 1
            except domande.Conflict:
                outcomes["asked"] += 1
            except Exception as exc:  # noqa: BLE001 - any other outcome is a failure to report
                errors.append(exc)
        return errors

    results = run(6, work)
    failures = [e for r in results for e in (r if isinstance(r, list) else [r])]
    assert failures == [], failures[:5]
    state = document()
    names = {p.denominazione for p in state.domanda.partner}
    added = [value for field, _v, value in acknowledged if field == "partner"]
    assert len(added) == 3 * rounds and set(added) <= names  # every acknowledged add is there
    for field in ("descrizione", "province"):
        saves = sorted((v, value) for f, v, value in acknowledged if f == field)
        assert saves, field
        assert getattr(state.domanda.territorio, field) == saves[-1][1], field  # the last acknowledged one
    assert document.revisions() == list(range(1, state.versione + 1))
    print(f"\nadds and stale saves at once: {dict(outcomes)}, version {state.versione}, 0 errors")


def test_two_hand_overs_at_once_make_one_owner(shared):
    """The titolare clicks "make owner" for two members at the same moment (two tabs), ten times over: each time one
    member becomes the owner, the other click is refused (409 or 403) and changes nothing, the memberships whole."""
    from patti_web.domande.models import DomandaRecord, Membership

    app, owner_id, application_id = shared
    app.test_client_class = LoggedInClient
    seen = Counter()
    for round_ in range(10):
        with app.app_context():
            members = [accounts.register_user(f"membro-{round_}-{i}@example.it", f"Membro {i}", "una password lunga",
                                              confirmed=True) for i in range(2)]
            for member in members:
                db.session.add(Membership(application_id=application_id, user_id=member.id, ruolo="collaboratore"))
            db.session.commit()
            member_ids = [m.id for m in members]
            owner = db.session.get(User, owner_id)
            clients = [app.test_client(user=owner) for _ in range(2)]
            db.session.remove()
        statuses = _at_once([(client, f"/domande/{application_id}/persone/{member}/titolare")
                             for client, member in zip(clients, member_ids, strict=True)])
        seen.update(statuses)
        # The later click finds the application no longer theirs: 409 when it read the owner before the other
        # click's commit, 403 (a collaboratore may not hand over) when after.
        assert statuses.count(303) == 1 and set(statuses) - {303} <= {403, 409}, statuses
        with app.app_context():
            new_owner = db.session.get(DomandaRecord, application_id).owner_id
            assert new_owner == member_ids[statuses.index(303)]
            roles = dict(db.session.execute(db.select(Membership.user_id, Membership.ruolo)
                                            .where(Membership.application_id == application_id)).all())
            assert new_owner not in roles and roles[owner_id] == "collaboratore"
            assert roles[member_ids[1 - statuses.index(303)]] == "collaboratore"
            db.session.remove()
        owner_id = new_owner
    print(f"\nten double hand-overs: {dict(seen)}")


def _at_once(posts: list[tuple]) -> list[int]:
    """POST each (client, url) from its own thread, released together; the statuses in order."""
    barrier = threading.Barrier(len(posts), timeout=60)
    statuses: list = [None] * len(posts)

    def post(i: int) -> None:
        client, url = posts[i]
        barrier.wait()
        statuses[i] = client.post(url).status_code

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def test_one_login_link_pressed_twice_at_once_logs_in_once(shared):
    """Four browsers press the same login link at the same moment: one logs in, the others are told it was used."""
    app, user_id, _application_id = shared
    with app.app_context():
        token = accounts.make_login_link_token(db.session.get(User, user_id))
        db.session.remove()
    statuses = _at_once([(app.test_client(), f"/accedi/link/{token}") for _ in range(4)])
    assert sorted(statuses) == [303, 400, 400, 400], statuses


@pytest.fixture
def ready_to_submit(shared):
    """`shared`, with the window open around today and every document of the application signed."""
    from datetime import date

    from test_invio import sign_all

    app, user_id, application_id = shared
    app.extensions["patti_edizione"] = app.extensions["patti_edizione"].with_window(date(2020, 1, 1),
                                                                                  date(2099, 12, 31))
    app.config["_TEST_USER"] = user_id
    with app.app_context():
        sign_all(application_id)
        db.session.remove()
    return shared


def test_20_submissions_of_different_applications_at_once_get_20_consecutive_numbers(ready_to_submit):
    """Twenty titolari press "Presentare la domanda" at the same moment: twenty numbers, 1 to 20, none twice, no
    gap; each application frozen at the version it submitted."""
    from test_invio import sign_all

    from patti_web.presentazione import invio
    from patti_web.presentazione.models import Numeratore, Presentazione

    app, user_id, first_id = ready_to_submit
    with app.app_context():
        user = db.session.get(User, user_id)
        ids = [first_id] + [domande.import_domanda(sample_domanda(current_edition(), 6, seed=i), user).id
                            for i in range(2, 21)]
        for domanda_id in ids[1:]:
            sign_all(domanda_id)
        db.session.remove()
    results = in_parallel(app, 20, lambda i, user: invio.submit(ids[i], user, 1))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert all(r.new for r in results)
    with app.app_context():
        rows = db.session.scalars(db.select(Presentazione).order_by(Presentazione.progressivo)).all()
        year = rows[0].anno
        assert [r.numero for r in rows] == [f"PATTI-{year}-{n:07d}" for n in range(1, 21)]
        assert sorted(r.application_id for r in rows) == sorted(ids)
        assert db.session.scalar(db.select(Numeratore.ultimo)) == 20
        assert {domande.load(i, None).head.stato for i in ids} == {"presentata"}
        db.session.remove()
    print(f"\n20 submissions at once: numbers {rows[0].numero} .. {rows[-1].numero}, distinct and consecutive")


def test_10_submits_of_one_application_at_once_give_one_number(ready_to_submit):
    """A double click, two tabs, two people: ten submits of one application at the same moment make one submission;
    the other nine are told it was made, with the same number, and no number is spent for them."""
    from patti_web.presentazione import invio
    from patti_web.presentazione.models import Numeratore, Presentazione

    app, _user_id, application_id = ready_to_submit
    results = in_parallel(app, 10, lambda i, user: invio.submit(application_id, user, 1))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.new for r in results) == 1 and len({r.presentazione.numero for r in results}) == 1
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Presentazione)) == 1
        assert db.session.scalar(db.select(Numeratore.ultimo)) == 1
        db.session.remove()
    print(f"\n10 submits of one application at once: 1 new, 9 told it was made ({results[0].presentazione.numero})")


def test_saves_racing_a_submission_never_land_on_the_frozen_version(ready_to_submit):
    """Five saves and five submits of one application at the same moment: either the submission froze version 1 and
    every save was refused, or a save came first and the submits were told the application changed. Never a save
    after the freeze."""
    from patti_web.presentazione import invio
    from patti_web.presentazione.models import Presentazione

    app, _user_id, application_id = ready_to_submit

    def work(i, user):
        if i % 2:
            return invio.submit(application_id, user, 1)
        return domande.save_section(application_id, user, "capofila", None, {"titolo": f"Titolo {i}"}, set(),
                                    lambda value: value)

    results = in_parallel(app, 10, work)
    unexpected = [r for r in results if isinstance(r, Exception)
                  and not isinstance(r, domande.Frozen | domande.Conflict | invio.Changed)]
    assert not unexpected, unexpected
    with app.app_context():
        state = domande.load(application_id, None)
        submitted = db.session.scalars(db.select(Presentazione)).all()
        if submitted:
            assert state.head.stato == "presentata" and state.versione == submitted[0].versione == 1
            assert len(submitted) == 1
        else:
            assert state.head.stato == "bozza" and state.versione > 1
        db.session.remove()
    saved = sum(1 for i, r in enumerate(results) if i % 2 == 0 and not isinstance(r, Exception))
    print(f"\nsaves and submits at once: {'submitted' if submitted else 'not submitted'}, {saved} saves landed")


def test_a_hand_over_racing_a_submission_gives_each_a_clear_answer(ready_to_submit):
    """The titolare submits while (in another tab) handing the application over, at the same moment: either the
    submission came first (one number, then the new titolare holds a submitted application), or the hand-over did
    and the submission is refused as made by whom is no longer titolare (before its checks: Forbidden; after them,
    at the freeze: Changed "titolare"). Never half of each, never a 500."""
    from patti_web.domande.models import DomandaRecord, Membership
    from patti_web.persone import inviti
    from patti_web.presentazione import invio
    from patti_web.presentazione.models import Presentazione

    app, owner_id, application_id = ready_to_submit
    with app.app_context():
        member = accounts.register_user("erede@example.it", "Erede", "una password lunga", confirmed=True)
        db.session.add(Membership(application_id=application_id, user_id=member.id, ruolo="collaboratore"))
        db.session.commit()
        member_id = member.id
        db.session.remove()

    def work(i, user):
        return invio.submit(application_id, user, 1) if i == 0 else inviti.hand_over(application_id, user, member_id)

    submitted, handed = in_parallel(app, 2, work)
    with app.app_context():
        rows = db.session.scalars(db.select(Presentazione)).all()
        owner = db.session.get(DomandaRecord, application_id).owner_id
        db.session.remove()
    assert handed is None and owner == member_id, handed  # the hand-over always lands
    if isinstance(submitted, invio.Changed | domande.Forbidden):
        assert getattr(submitted, "reason", "titolare") == "titolare" and rows == []
    else:
        assert submitted.new and [r.presentata_da for r in rows] == [owner_id]
    outcome = "submitted first" if rows else "handed over first, submission refused"
    print(f"\na hand-over and a submission at once: {outcome}")
