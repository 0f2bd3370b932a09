"""Le mie domande, the task list and one page per section. Plain forms first; htmx makes them smoother.

Every view loads the application through `_owned`, scoped to the logged-in user: someone else's id is a 404.
Forms keep everything typed on error (status 422, the same page with an error summary).
"""

from __future__ import annotations

import io
from dataclasses import replace

import ateco
from flask import Blueprint, abort, flash, redirect, request, send_file, url_for
from flask_login import current_user, login_required
from htmx_flask import make_response
from werkzeug.datastructures import MultiDict

from patti_web import services
from patti_web.documents import docx_filename, pdf
from patti_web.domanda import DocumentError, Territorio, read_document, write_document
from patti_web.extensions import db
from patti_web.forms.applications import (
    ATECO_RE,
    CapofilaForm,
    EmptyForm,
    ImportForm,
    InterventionForm,
    NeedForm,
    NewApplicationForm,
    PartnerForm,
    SectorForm,
    TerritoryForm,
)
from patti_web.htmx import is_partial_request, render
from patti_web.i18n import gettext as _
from patti_web.models import (
    Intervention,
    InterventionNeed,
    Need,
    NeedSource,
    Partner,
    Sector,
    SectorAteco,
    TerritoryProvince,
)
from patti_web.rules import ERROR, ateco_node, check_application, check_territory, checklist, section_statuses

bp = Blueprint("applications", __name__, url_prefix="/domande")
CHANGED = "domanda-cambiata"  # htmx event: the checklist panel reloads itself


@bp.before_request
@login_required
def require_login():
    """Every page of this area needs a logged-in user."""


def _owned(application_id: int):
    try:
        return services.get_owned_application(application_id, current_user)
    except services.NotFound:
        abort(404)


def _child(collection, child_id: int):
    try:
        return services.get_child(collection, child_id)
    except services.NotFound:
        abort(404)


def _formdata() -> MultiDict | None:
    """The submitted form, or on a GET what was typed before a session expired (?ripristina=...), or None."""
    if request.method == "POST":
        return request.form
    token = request.args.get("ripristina")
    if not token:
        return None
    data = services.pop_stashed_form(token, request.path)
    db.session.commit()
    if data is None:
        return None
    flash(_("What you typed before logging in again has been kept: check it and save."), "info")
    return MultiDict(data)


def _store(form, row, exclude=("csrf_token", "form_token")) -> None:
    """Copy a form's fields onto the model row of the same column names."""
    for name, field in form._fields.items():
        if name not in exclude and hasattr(row, name):
            setattr(row, name, field.data if field.data is not None else "")


def _context(app, **extra):
    """What every page of an application shows: its findings, the checklist and the section states."""
    domanda = services.to_domanda(app)
    edizione = services.current_edition()
    findings = check_application(domanda, edizione)
    return {
        "application": app,
        "domanda": domanda,
        "findings": findings,
        "errors": [f for f in findings if f.severity == ERROR],
        "checklist": checklist(domanda, edizione, findings),
        "statuses": section_statuses(domanda, findings),
        **extra,
    }


def _new_row(collection: list, row, form):
    """Append a new row once per form: None when this form was already submitted (a double click)."""
    try:
        services.consume_form_token(form.form_token.data)
    except services.DuplicateSubmission:
        db.session.rollback()
        return None
    collection.append(row)
    return row


def _saved(app, endpoint: str = "applications.tasks", message: str | None = None, **values):
    """Commit a change, say so, and go back (303) to `endpoint`."""
    services.touch(app)
    db.session.commit()
    flash(message or _("Changes saved."), "success")
    return redirect(url_for(endpoint, application_id=app.id, **values), 303)


# Le mie domande --------------------------------------------------------------------------------------------------


@bp.get("")
def index():
    """The user's applications, with their state and last change."""
    rows = services.list_applications(current_user)
    return render("applications/index.html", rows=rows, new_form=NewApplicationForm(formdata=None),
                  action_form=EmptyForm())


@bp.post("/nuova")
def create():
    form = NewApplicationForm()
    if not form.validate():
        rows = services.list_applications(current_user)
        return render("applications/index.html", rows=rows, new_form=form, action_form=EmptyForm(), status=422)
    app = services.create_application(current_user, form.titolo.data)
    db.session.commit()
    flash(_("Application created: start from the lead partner."), "success")
    return redirect(url_for("applications.tasks", application_id=app.id), 303)


@bp.post("/<int:application_id>/duplica")
def duplicate(application_id: int):
    if not EmptyForm().validate():
        abort(400)
    copy = services.duplicate_application(_owned(application_id))
    db.session.commit()
    flash(_("Application duplicated."), "success")
    return redirect(url_for("applications.tasks", application_id=copy.id), 303)


@bp.route("/<int:application_id>/elimina", methods=["GET", "POST"])
def delete(application_id: int):
    app = _owned(application_id)
    form = EmptyForm()
    if request.method == "POST" and form.validate():
        title = app.titolo
        services.delete_application(app)
        db.session.commit()
        flash(_("Application \u201c%(title)s\u201d deleted.", title=title), "success")
        return redirect(url_for("applications.index"), 303)
    return render("applications/confirm.html", form=form, application=app,
                  title=_("Delete the application?"),
                  question=_("The application \u201c%(title)s\u201d and all its sections will be deleted. This "
                             "cannot be undone.", title=app.titolo),
                  confirm=_("Yes, delete it"), back=url_for("applications.index"))


@bp.route("/importa", methods=["GET", "POST"])
def import_document():
    """Import a patti-web/domanda@1 JSON file as a new application."""
    form = ImportForm()
    if form.validate_on_submit():
        try:
            domanda = read_document(form.documento.data.read(6 * 1024 * 1024))
        except DocumentError as exc:
            form.documento.errors.append(_("The file cannot be imported: %(reason)s", reason=str(exc)))
        else:
            app = services.import_application(domanda, current_user)
            db.session.commit()
            flash(_("Application imported."), "success")
            return redirect(url_for("applications.tasks", application_id=app.id), 303)
    status = 422 if form.errors else 200
    return render("applications/import.html", form=form, status=status)


@bp.get("/<int:application_id>/domanda.json")
def export_document(application_id: int):
    app = _owned(application_id)
    domanda = services.to_domanda(app)
    text = write_document(domanda)
    name = docx_filename(domanda, services.document_date(app)).removesuffix(".docx") + ".json"
    return send_file(io.BytesIO(text.encode()), mimetype="application/json", as_attachment=True, download_name=name)


# Task list, checklist, summary -----------------------------------------------------------------------------------


@bp.get("/<int:application_id>")
def tasks(application_id: int):
    return render("applications/tasks.html", **_context(_owned(application_id)))


@bp.get("/<int:application_id>/checklist")
def checklist_panel(application_id: int):
    """The live composition checklist (the panel reloads it after each change)."""
    return render("applications/checklist.html", "checklist", **_context(_owned(application_id)))


@bp.get("/<int:application_id>/riepilogo")
def summary(application_id: int):
    return render("applications/summary.html", pdf_available=pdf.is_available(),
                  **_context(_owned(application_id)))


# Capofila ---------------------------------------------------------------------------------------------------------


@bp.route("/<int:application_id>/capofila", methods=["GET", "POST"])
def capofila(application_id: int):
    app = _owned(application_id)
    form = CapofilaForm(formdata=_formdata(), obj=app.capofila, titolo=app.titolo)
    form.set_choices(services.current_edition())
    if request.method == "POST":
        if form.validate():
            app.titolo = form.titolo.data
            _store(form, app.capofila)
            return _saved(app)
        return render("applications/capofila.html", form=form, status=422, **_context(app))
    return render("applications/capofila.html", form=form, **_context(app))


# Partenariato -----------------------------------------------------------------------------------------------------


def _partner_form(formdata=None, obj=None) -> PartnerForm:
    form = PartnerForm(formdata=formdata, obj=obj)
    form.set_choices(services.current_edition())
    return form


def _already_added(application_id: int):
    """The second click of a double submit: the first one added the partner."""
    flash(_("This partner had already been added."), "info")
    url = url_for("applications.partnership", application_id=application_id)
    response = make_response("", 200, redirect=url) if is_partial_request() else redirect(url, 303)
    response.vary.add("HX-Request")
    return response


def _valid_partner(form: PartnerForm, app, partner=None) -> bool:
    """Shape checks, then: a member already in the partnership is not added again (e.g. Back and resubmit)."""
    if not form.validate():
        return False
    other = services.member_with_tax_code(app, form.codice_fiscale.data, besides=partner)
    if other is not None:
        form.codice_fiscale.errors.append(_("This codice fiscale is already in the partnership (%(name)s).",
                                            name=other))
        return False
    return True


@bp.route("/<int:application_id>/partenariato", methods=["GET", "POST"])
def partnership(application_id: int):
    """The partners, a form to add one, and the checklist beside them."""
    app = _owned(application_id)
    form = _partner_form(_formdata())
    if request.method == "POST" and services.is_form_token_used(form.form_token.data):
        return _already_added(application_id)
    if request.method == "POST" and _valid_partner(form, app):
        partner = _new_row(app.partner, Partner(), form)
        if partner is None:
            return _already_added(application_id)
        _store(form, partner)
        services.touch(app)
        db.session.commit()
        flash(_("%(name)s added to the partnership.", name=partner.denominazione), "success")
        if is_partial_request():
            form = _partner_form()
            form.fresh_token()
            return render("applications/partnership.html", "partner_area", form=form, trigger=CHANGED,
                          inline_messages=True, **_context(app))
        return redirect(url_for("applications.partnership", application_id=app.id), 303)
    if request.method == "GET" and not form.form_token.data:
        form.fresh_token()
    status = 422 if form.errors else 200
    return render("applications/partnership.html", "partner_area", form=form, status=status, **_context(app))


@bp.route("/<int:application_id>/partenariato/<int:partner_id>", methods=["GET", "POST"])
def partner_edit(application_id: int, partner_id: int):
    app = _owned(application_id)
    partner = _child(app.partner, partner_id)
    form = _partner_form(_formdata(), obj=partner)
    if request.method == "POST" and _valid_partner(form, app, partner):
        _store(form, partner)
        return _saved(app, "applications.partnership", _("%(name)s updated.", name=partner.denominazione))
    return render("applications/partner_edit.html", form=form, partner=partner, status=422 if form.errors else 200,
                  **_context(app))


@bp.route("/<int:application_id>/partenariato/<int:partner_id>/rimuovi", methods=["GET", "POST"])
def partner_remove(application_id: int, partner_id: int):
    app = _owned(application_id)
    partner = _child(app.partner, partner_id)
    return _confirm_removal(app, app.partner, partner, partner.denominazione, "applications.partnership")


def _confirm_removal(app, collection, row, name: str, back_endpoint: str):
    form = EmptyForm()
    if request.method == "POST" and form.validate():
        collection.remove(row)
        return _saved(app, back_endpoint, _("\u201c%(name)s\u201d removed.", name=name))
    return render("applications/confirm.html", form=form, application=app,
                  title=_("Remove \u201c%(name)s\u201d?", name=name),
                  question=_("\u201c%(name)s\u201d will be removed from the application.", name=name),
                  confirm=_("Yes, remove it"), back=url_for(back_endpoint, application_id=app.id))


# Territorio -------------------------------------------------------------------------------------------------------


def _territory_findings(domanda, form: TerritoryForm):
    """The coherence rule for what the form holds right now (saved or not), from the rule engine."""
    domanda = replace(domanda,
                      territorio=Territorio(ambito=form.ambito.data or "", province=list(form.province.data or [])))
    return list(check_territory(domanda, services.current_edition()))


@bp.route("/<int:application_id>/territorio", methods=["GET", "POST"])
def territory(application_id: int):
    app = _owned(application_id)
    data = _formdata()
    form = TerritoryForm(formdata=data, ambito=app.territorio_ambito or None,
                         province=[p.sigla for p in app.province])
    form.set_choices(services.current_edition())
    saving = request.method == "POST" and request.form.get("azione") != "verifica"
    if saving and form.validate():
        app.territorio_ambito = form.ambito.data
        app.province = [TerritoryProvince(sigla=s) for s in form.province.data]
        return _saved(app)
    status = 422 if saving else 200
    context = _context(app)
    return render("applications/territory.html", "coerenza", form=form, status=status,
                  territory_findings=_territory_findings(context["domanda"], form), **context)


# Settori e filiere ------------------------------------------------------------------------------------------------


def ateco_matches(query: str) -> list:
    """ATECO codes of the edition's classification matching a code prefix or words in the title."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    return ateco.search(query, edition=services.current_edition().edizione_ateco, limit=15)


@bp.get("/ateco")
def ateco_search():
    """Suggestions for the ATECO search box (htmx), or a page of matches."""
    query = request.args.get("q", "")
    return render("applications/ateco.html", "ateco_risultati", query=query, matches=ateco_matches(query))


@bp.get("/<int:application_id>/settori")
def sectors(application_id: int):
    return render("applications/sectors.html", **_context(_owned(application_id)))


@bp.route("/<int:application_id>/settori/nuovo", methods=["GET", "POST"], defaults={"sector_id": None})
@bp.route("/<int:application_id>/settori/<int:sector_id>", methods=["GET", "POST"])
def sector_edit(application_id: int, sector_id: int | None):
    app = _owned(application_id)
    sector = _child(app.settori, sector_id) if sector_id else None
    initial = {"descrizione": sector.descrizione, "codici": ", ".join(a.codice for a in sector.ateco)} if sector else {}
    form = SectorForm(formdata=_formdata(), data=initial)
    matches = []
    action = request.form.get("azione", "salva") if request.method == "POST" else None
    if request.method == "GET" and not form.form_token.data:
        form.fresh_token()
    if action and action.startswith("aggiungi:"):
        form.codici.data = ", ".join(dict.fromkeys([*form.codes(), action.split(":", 1)[1]]))
        form.q.data = ""
    elif action and action.startswith("togli:"):
        form.codici.data = ", ".join(c for c in form.codes() if c != action.split(":", 1)[1])
    elif action == "cerca":
        matches = ateco_matches(form.q.data)
    elif action == "salva" and form.validate():
        sector = sector or _new_row(app.settori, Sector(), form)
        if sector is None:
            return redirect(url_for("applications.sectors", application_id=application_id), 303)
        sector.descrizione = form.descrizione.data
        sector.ateco = [SectorAteco(codice=c) for c in form.codes()]
        return _saved(app, "applications.sectors")
    chosen = [(code, ateco_node(code, services.current_edition())) for code in form.codes() if ATECO_RE.match(code)]
    status = 422 if form.errors else 200
    return render("applications/sector_form.html", form=form, sector=sector, matches=matches, chosen=chosen,
                  searched=action == "cerca", status=status, **_context(app))


@bp.route("/<int:application_id>/settori/<int:sector_id>/rimuovi", methods=["GET", "POST"])
def sector_remove(application_id: int, sector_id: int):
    app = _owned(application_id)
    sector = _child(app.settori, sector_id)
    return _confirm_removal(app, app.settori, sector, sector.descrizione[:80], "applications.sectors")


# Fabbisogni -------------------------------------------------------------------------------------------------------


@bp.get("/<int:application_id>/fabbisogni")
def needs(application_id: int):
    return render("applications/needs.html", **_context(_owned(application_id)))


@bp.route("/<int:application_id>/fabbisogni/nuovo", methods=["GET", "POST"], defaults={"need_id": None})
@bp.route("/<int:application_id>/fabbisogni/<int:need_id>", methods=["GET", "POST"])
def need_edit(application_id: int, need_id: int | None):
    app = _owned(application_id)
    need = _child(app.fabbisogni, need_id) if need_id else None
    initial = None
    if need is not None:
        initial = {"titolo": need.titolo, "descrizione": need.descrizione,
                   "lacune_politiche_attive": need.lacune_politiche_attive,
                   "fonti": [{"titolo": s.titolo, "autore": s.autore, "anno": s.anno, "url": s.url}
                             for s in need.fonti] or [{}]}
    form = NeedForm(formdata=_formdata(), data=initial)
    if request.method == "GET" and not form.form_token.data:
        form.fresh_token()
    action = request.form.get("azione", "salva") if request.method == "POST" else None
    if action == "aggiungi-fonte":
        form.fonti.append_entry()
    elif action and action.startswith("togli-fonte:"):
        index = action.split(":", 1)[1]
        form.fonti.entries = [e for e in form.fonti.entries if e.id != index] or form.fonti.entries
    elif action == "salva" and form.validate():
        need = need or _new_row(app.fabbisogni, Need(codice=services.next_need_code(app)), form)
        if need is None:
            return redirect(url_for("applications.needs", application_id=application_id), 303)
        need.titolo = form.titolo.data
        need.descrizione = form.descrizione.data
        need.lacune_politiche_attive = form.lacune_politiche_attive.data
        need.fonti = [NeedSource(titolo=e.titolo.data or "", autore=e.autore.data or "", anno=e.anno.data,
                                 url=e.url.data or "") for e in form.fonti if not e.form.is_empty()]
        return _saved(app, "applications.needs")
    status = 422 if form.errors else 200
    return render("applications/need_form.html", form=form, need=need, status=status, **_context(app))


@bp.route("/<int:application_id>/fabbisogni/<int:need_id>/rimuovi", methods=["GET", "POST"])
def need_remove(application_id: int, need_id: int):
    app = _owned(application_id)
    need = _child(app.fabbisogni, need_id)
    return _confirm_removal(app, app.fabbisogni, need, f"{need.codice} \u2014 {need.titolo}", "applications.needs")


# Interventi -------------------------------------------------------------------------------------------------------


@bp.get("/<int:application_id>/interventi")
def interventions(application_id: int):
    return render("applications/interventions.html", **_context(_owned(application_id)))


@bp.route("/<int:application_id>/interventi/nuovo", methods=["GET", "POST"], defaults={"intervention_id": None})
@bp.route("/<int:application_id>/interventi/<int:intervention_id>", methods=["GET", "POST"])
def intervention_edit(application_id: int, intervention_id: int | None):
    app = _owned(application_id)
    intervention = _child(app.interventi, intervention_id) if intervention_id else None
    initial = None
    if intervention is not None:
        initial = {"titolo": intervention.titolo, "descrizione": intervention.descrizione,
                   "destinatari": intervention.destinatari,
                   "fabbisogni": [n.codice for n in intervention.fabbisogni]}
    form = InterventionForm(formdata=_formdata(), data=initial)
    form.fabbisogni.choices = [(n.codice, f"{n.codice} \u2014 {n.titolo}") for n in app.fabbisogni]
    if request.method == "GET" and not form.form_token.data:
        form.fresh_token()
    if request.method == "POST" and form.validate():
        intervention = intervention or _new_row(app.interventi, Intervention(), form)
        if intervention is None:
            return redirect(url_for("applications.interventions", application_id=application_id), 303)
        intervention.titolo = form.titolo.data
        intervention.descrizione = form.descrizione.data
        intervention.destinatari = form.destinatari.data or ""
        intervention.fabbisogni = [InterventionNeed(codice=c) for c in form.fabbisogni.data]
        return _saved(app, "applications.interventions")
    status = 422 if form.errors else 200
    return render("applications/intervention_form.html", form=form, intervention=intervention, status=status,
                  **_context(app))


@bp.route("/<int:application_id>/interventi/<int:intervention_id>/rimuovi", methods=["GET", "POST"])
def intervention_remove(application_id: int, intervention_id: int):
    app = _owned(application_id)
    intervention = _child(app.interventi, intervention_id)
    return _confirm_removal(app, app.interventi, intervention, intervention.titolo, "applications.interventions")
