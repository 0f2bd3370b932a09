"""Le mie domande, the task list and one page per section. Plain forms first; htmx makes them smoother.

Views parse a form, call one service and answer: a redirect (303), the page, or a fragment. They import no model:
every read and write goes through `services`, scoped to the logged-in user (someone else's id is a 404). A form
that cannot be saved comes back with everything typed (422); one based on a version that changed the same part
meanwhile comes back with their values and yours, field by field (409).
"""

from __future__ import annotations

import hashlib
import io
import secrets

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from htmx_flask import make_response
from werkzeug.datastructures import MultiDict

from patti_web import services, stash
from patti_web.ateco_search import search as search_ateco
from patti_web.documents import pdf
from patti_web.domanda import DocumentError, read_document
from patti_web.forms.applications import (
    ATECO_RE,
    CapofilaForm,
    DuplicateForm,
    EmptyForm,
    ImportForm,
    InterventionForm,
    Invalid,
    NeedForm,
    NewApplicationForm,
    PartnerForm,
    SectorForm,
    TerritoryForm,
    flatten,
    problem,
)
from patti_web.htmx import is_partial_request, render
from patti_web.i18n import gettext as _
from patti_web.rules import ateco_node, check_territory
from patti_web.templating import shown_value

bp = Blueprint("applications", __name__, url_prefix="/domande")


@bp.before_request
@login_required
def require_login():
    """Every page of this area needs a logged-in user."""


def _state(application_id: int, allowed: frozenset[str] = services.READ) -> services.State:
    """The application for the logged-in user: 404 if they have no role in it, 403 if theirs cannot do this
    (services.NotFound and Forbidden become those pages in patti_web.errors)."""
    return services.load(application_id, current_user, allowed)


def _editable(application_id: int) -> services.State:
    """The application, for a page that changes it (titolare, collaboratore); a GET of a list page (partners, sectors,
    needs, interventions) is readable by every role, without its forms."""
    return _state(application_id, services.EDIT if request.method == "POST" else services.READ)


def _item(state: services.State, sezione: str, item_id: str):
    return services.get_item(state, sezione, item_id)  # NotFound: a 404


def _formdata(state: services.State) -> MultiDict | None:
    """The submitted form, or on a GET what this browser typed before its session expired (patti_web.stash), if the
    user may edit the application; else None."""
    if request.method == "POST":
        return request.form
    if not state.head.can_edit:
        return None
    data = stash.take(request.path)
    if data is None:
        return None
    flash(_("What you typed before logging in again has been kept: check it and save."), "info")
    return MultiDict(data)


def _context(state: services.State, **extra) -> dict:
    """What every page of an application shows: its findings, the checklist and the section states."""
    return {
        "application": state.head,
        "domanda": state.domanda,
        "findings": state.findings,
        "errors": state.errors,
        "checklist": state.checklist,
        "statuses": state.statuses,
        "can_edit": state.head.can_edit,
        "can_manage": state.head.can_manage,
        **extra,
    }


def _saved(application_id: int, endpoint: str = "applications.tasks", message: str | None = None, **values):
    """Say the change was saved and go back (303) to `endpoint`."""
    flash(message or _("Changes saved."), "success")
    return redirect(url_for(endpoint, application_id=application_id, **values), 303)


def _status(form, conflict=None, gone: bool = False) -> int:
    """409 when the application changed under the form, 422 when the form has errors, else 200."""
    return 409 if conflict is not None or gone else (422 if form.errors else 200)


def _save_form(form, save):
    """Run `save()` and return (what it returned, None); what it refuses goes next to the form's fields (result
    None). A conflict is returned as (None, conflict): the form then carries the current version, so that saving it
    again replaces their values with yours, on purpose."""
    try:
        return save(), None
    except (Invalid, services.Refused) as exc:
        form.add_errors(exc.errors)
    except services.Conflict as conflict:
        form.add_errors([(change.path, _("changed meanwhile by someone else, who saved \u201c%(value)s\u201d: "
                                         "check it, then save again to keep yours.", value=shown_value(change.theirs)))
                         for change in conflict.changes])
        form.versione.data = str(conflict.versione)
        return None, conflict
    except services.Busy:
        form.form_errors.append(_("Many changes are being saved on this application right now: nothing was saved. "
                                  "Save again in a moment."))
    return None, None


# Le mie domande --------------------------------------------------------------------------------------------------


def _index(new_form: NewApplicationForm, status: int = 200):
    if not new_form.form_token.data:
        new_form.fresh_token()
    return render("applications/index.html", rows=services.list_applications(current_user), new_form=new_form,
                  action_form=EmptyForm(), duplicate_token=secrets.token_urlsafe(24),
                  sections_total=len(services.SECTIONS), status=status)


def _creation_token(form_token: str | None, content: bytes | str) -> str | None:
    """The one-time token of a creating form, tied to what it creates: the same submission twice makes one
    application; the same form sent back with another title or file (the browser's Back) makes a new one."""
    if not form_token:
        return None
    data = content.encode() if isinstance(content, str) else content
    return hashlib.sha256(form_token.encode() + b"\0" + data).hexdigest()


@bp.get("")
def index():
    """The applications the user has a role in (staff: all), with their state and last change (one query)."""
    return _index(NewApplicationForm(formdata=None))


@bp.post("/nuova")
def create():
    if current_user.staff:
        abort(403)  # staff read; they do not write applications
    form = NewApplicationForm()
    if not form.validate():
        return _index(form, 422)
    head = services.create_application(current_user, form.titolo.data,
                                       _creation_token(form.form_token.data, form.titolo.data))
    flash(_("Application created: start from the lead partner."), "success")
    return redirect(url_for("applications.tasks", application_id=head.id), 303)


@bp.post("/<int:application_id>/duplica")
def duplicate(application_id: int):
    if current_user.staff:
        abort(403)  # staff create nothing, even where they were invited
    form = DuplicateForm()
    if not form.validate():
        abort(400)
    copy = services.duplicate_application(application_id, current_user,
                                          _creation_token(form.form_token.data, str(application_id)))
    flash(_("Application duplicated."), "success")
    return redirect(url_for("applications.tasks", application_id=copy.id), 303)


@bp.route("/<int:application_id>/elimina", methods=["GET", "POST"])
def delete(application_id: int):
    state = _state(application_id, services.MANAGE)
    form = EmptyForm()
    if request.method == "POST" and form.validate():
        title = services.delete_application(application_id, current_user)
        flash(_("Application \u201c%(title)s\u201d deleted.", title=title), "success")
        return redirect(url_for("applications.index"), 303)
    return render("applications/confirm.html", form=form, application=state.head,
                  title=_("Delete the application?"),
                  question=_("The application \u201c%(title)s\u201d and all its sections will be deleted. This "
                             "cannot be undone.", title=state.head.titolo),
                  confirm=_("Yes, delete it"), back=url_for("applications.index"))


@bp.route("/importa", methods=["GET", "POST"])
def import_document():
    """Import a patti-web/domanda JSON file (@2, or the older @1) as a new application."""
    if current_user.staff:
        abort(403)
    form = ImportForm()
    if not form.form_token.data:
        form.fresh_token()
    if form.validate_on_submit():
        content = form.documento.data.read(6 * 1024 * 1024)
        try:
            domanda = read_document(content)
        except DocumentError as exc:
            form.documento.errors.append(_("JSON file: it cannot be imported: %(reason)s", reason=str(exc)))
        else:
            head = services.import_application(domanda, current_user,
                                               _creation_token(form.form_token.data, content))
            flash(_("Application imported."), "success")
            if domanda.is_v1:
                flash(_("The file was in the older format (patti-web/domanda@1): the application now asks also for "
                        "what the current format added, such as the partners' legal representatives."), "info")
            return redirect(url_for("applications.tasks", application_id=head.id), 303)
    return render("applications/import.html", form=form, status=422 if form.errors else 200)


@bp.get("/<int:application_id>/domanda.json")
def export_document(application_id: int):
    text, name = services.export_text(_state(application_id))
    return send_file(io.BytesIO(text.encode()), mimetype="application/json", as_attachment=True, download_name=name)


# Task list, checklist, summary -----------------------------------------------------------------------------------


@bp.get("/<int:application_id>")
def tasks(application_id: int):
    return render("applications/tasks.html", **_context(_state(application_id)))


@bp.get("/<int:application_id>/checklist")
def checklist_panel(application_id: int):
    """The composition checklist; an unchanged version answers 304 to a conditional GET."""
    state = _state(application_id)
    etag = f"{current_app.config['PATTI_BUILD']}-{state.id}-{state.versione}-{int(is_partial_request())}"
    if request.if_none_match.contains(etag):
        response = current_app.response_class(status=304)
    else:
        response = render("applications/checklist.html", "checklist", **_context(state))
    response.set_etag(etag)  # Cache-Control: no-store, as on every page (patti_web.security)
    response.vary.add("HX-Request")
    return response


@bp.get("/<int:application_id>/riepilogo")
def summary(application_id: int):
    return render("applications/summary.html", pdf_available=pdf.is_available(), **_context(_state(application_id)))


# Capofila ---------------------------------------------------------------------------------------------------------


@bp.route("/<int:application_id>/capofila", methods=["GET", "POST"])
def capofila(application_id: int):
    state = _state(application_id, services.EDIT)
    initial = {**flatten(state.domanda.capofila), "titolo": state.domanda.titolo, "versione": state.versione}
    form = CapofilaForm(formdata=_formdata(state), data=initial)
    form.set_choices(services.current_edition())
    conflict = None
    if request.method == "POST" and form.validate():
        _saved_state, conflict = _save_form(form, lambda: services.update_capofila(
            application_id, current_user, form.base_version(), form.titolo.data or "", form.to_model()))
        if not form.errors and conflict is None:
            return _saved(application_id)
    return render("applications/capofila.html", form=form, conflict=conflict, status=_status(form, conflict),
                  **_context(state))


# Partenariato -----------------------------------------------------------------------------------------------------


def _partner_form(formdata=None, data=None) -> PartnerForm:
    form = PartnerForm(formdata=formdata, data=data)
    form.set_choices(services.current_edition())
    return form


def _already_added(application_id: int):
    """The second click of a double submit: the first one added the partner."""
    flash(_("This partner had already been added."), "info")
    url = url_for("applications.partnership", application_id=application_id)
    response = make_response("", 200, redirect=url) if is_partial_request() else redirect(url, 303)
    response.vary.add("HX-Request")
    return response


def _partner_area(state: services.State, form: PartnerForm, status: int = 200, **extra):
    """The partner area of the page (htmx: with the checklist swapped out of band, so no second request)."""
    context = _context(state, form=form, **extra)
    response = render("applications/partnership.html", "partner_area", status=status, **context)
    if is_partial_request():
        response.set_data(response.get_data(as_text=True)
                          + render_template("applications/_checklist.html", oob=True, **context))
    return response


@bp.route("/<int:application_id>/partenariato", methods=["GET", "POST"])
def partnership(application_id: int):
    """The partners, a form to add one, and the checklist beside them."""
    state = _editable(application_id)
    form = _partner_form(_formdata(state))
    if request.method == "GET" and not form.form_token.data:
        form.fresh_token()
    if request.method == "POST" and form.validate():
        if form.is_empty():
            form.denominazione.errors.append(problem(form.denominazione, _(
                "write at least the partner's name; the rest can be added later.")))
        else:
            try:
                added, _conflict = _save_form(form, lambda: services.add_item(
                    application_id, current_user, "partenariato", form.to_model(), form.form_token.data))
            except services.DuplicateSubmission:
                return _already_added(application_id)
            if added is not None:
                state, partner = added
                flash(_("%(name)s added to the partnership.", name=partner.denominazione or _("The partner")),
                      "success")
                if not is_partial_request():
                    return redirect(url_for("applications.partnership", application_id=application_id), 303)
                form = _partner_form()
                form.fresh_token()
                return _partner_area(state, form, inline_messages=True)
    return _partner_area(state, form, status=422 if form.errors else 200)


@bp.route("/<int:application_id>/partenariato/<partner_id>", methods=["GET", "POST"])
def partner_edit(application_id: int, partner_id: str):
    state = _state(application_id, services.EDIT)
    initial = {}
    if request.method == "GET":  # a POST keeps what was typed, even if the partner is gone meanwhile
        initial = {**flatten(_item(state, "partenariato", partner_id)), "versione": state.versione}
    form = _partner_form(_formdata(state), data=initial)
    conflict, gone = None, False
    if request.method == "POST" and form.validate():
        try:
            _saved_state, conflict = _save_form(form, lambda: services.update_item(
                application_id, current_user, "partenariato", partner_id, form.base_version(), form.to_model()))
        except services.ItemGone:
            gone = True
            form.fresh_token()
        if not form.errors and conflict is None and not gone:
            name = form.denominazione.data or _("The partner")
            return _saved(application_id, "applications.partnership", _("%(name)s updated.", name=name))
    return render("applications/partner_edit.html", form=form, partner_id=partner_id, conflict=conflict, gone=gone,
                  status=_status(form, conflict, gone), **_context(state))


# What a removal is called on its confirmation page, and where it goes back to, for each list.
_REMOVALS = {
    "partenariato": (lambda p: p.denominazione or _("The partner"), "applications.partnership"),
    "settori": (lambda s: s.descrizione[:80] or ", ".join(s.ateco) or _("The sector"), "applications.sectors"),
    "fabbisogni": (lambda n: f"{n.id} \u2014 {n.titolo}", "applications.needs"),
    "interventi": (lambda i: i.titolo or _("The intervention"), "applications.interventions"),
}


@bp.route("/<int:application_id>/<any(partenariato, settori, fabbisogni, interventi):sezione>/<item_id>/rimuovi",
          methods=["GET", "POST"])
def remove_item(application_id: int, sezione: str, item_id: str):
    """Remove a partner, sector, need or intervention, after a confirmation page (with or without JavaScript)."""
    state = _state(application_id, services.EDIT)
    label, back_endpoint = _REMOVALS[sezione]
    name = label(_item(state, sezione, item_id))
    form = EmptyForm()
    if request.method == "POST" and form.validate():
        services.remove_item(application_id, current_user, sezione, item_id)
        return _saved(state.id, back_endpoint, _("\u201c%(name)s\u201d removed.", name=name))
    return render("applications/confirm.html", form=form, application=state.head,
                  title=_("Remove \u201c%(name)s\u201d?", name=name),
                  question=_("\u201c%(name)s\u201d will be removed from the application.", name=name),
                  confirm=_("Yes, remove it"), back=url_for(back_endpoint, application_id=state.id))


# Territorio -------------------------------------------------------------------------------------------------------


@bp.route("/<int:application_id>/territorio", methods=["GET", "POST"])
def territory(application_id: int):
    state = _state(application_id, services.EDIT)
    initial = {**flatten(state.domanda.territorio), "versione": state.versione}
    form = TerritoryForm(formdata=_formdata(state), data=initial)
    form.set_choices(services.current_edition())
    saving = request.method == "POST" and request.form.get("azione") != "verifica"
    conflict = None
    shown = state.domanda.territorio
    if request.method == "POST" and form.validate():
        try:
            shown = form.to_model()
        except Invalid as exc:
            form.add_errors(exc.errors)
        if saving and not form.errors:
            _saved_state, conflict = _save_form(form, lambda: services.update_territory(
                application_id, current_user, form.base_version(), shown))
            if not form.errors and conflict is None:
                return _saved(application_id)
    # The coherence rule for what the form holds right now (saved or not), from the rule engine.
    territory_findings = list(check_territory(state.domanda.model_copy(update={"territorio": shown}),
                                              services.current_edition()))
    return render("applications/territory.html", "coerenza", form=form, conflict=conflict,
                  territory_findings=territory_findings, status=_status(form, conflict), **_context(state))


# Settori e filiere ------------------------------------------------------------------------------------------------


ATECO_PAGE = 10


def ateco_matches(query: str, page: int = 1):
    """The best matches of a code or words in the edition's ATECO classification, `page` pages of them, and how
    many there are in all."""
    return search_ateco(query or "", services.current_edition().edizione_ateco, limit=ATECO_PAGE * page)


def ateco_focus(page: int, asked: bool) -> int | None:
    """Where focus goes in the matches: the first new one after "Show more" (its place), the count (-1) after a
    search the user asked for, nowhere while suggestions follow typing (focus stays in the box)."""
    if page > 1:
        return ATECO_PAGE * (page - 1)
    return -1 if asked else None


def _page(value: str | None) -> int:
    return int(value) if value and value.isdigit() and 0 < int(value) <= 50 else 1


@bp.get("/ateco")
def ateco_search():
    """Suggestions for the ATECO search box of a sector's form (htmx), or a page of matches."""
    query, page = request.args.get("q", "")[:100], _page(request.args.get("pagina"))
    matches, total = ateco_matches(query, page)
    return render("applications/ateco.html", "ateco_risultati", query=query, matches=matches, total=total,
                  page=page, in_form=is_partial_request(), focus_at=ateco_focus(page, not is_partial_request()))


@bp.get("/<int:application_id>/settori")
def sectors(application_id: int):
    return render("applications/sectors.html", **_context(_state(application_id)))


def _edit_page(state: services.State, sezione: str, item_id: str | None, form_class, **extra):
    """The initial form of a list item's page: empty to add one, the item's values (and version) to edit it."""
    if request.method == "GET" and item_id is not None:
        initial = {**flatten(_item(state, sezione, item_id)), "versione": state.versione}
    else:
        initial = {"versione": state.versione}
    form = form_class(formdata=_formdata(state), data=initial, **extra)
    if request.method == "GET" and not form.form_token.data:
        form.fresh_token()
    return form


def _save_item(application_id: int, form, sezione: str, item_id: str | None, empty_field, empty_message):
    """Add (once per form) or update a list item; return (response or None, conflict, gone)."""
    endpoint = _REMOVALS[sezione][1]
    if item_id is None and form.is_empty():
        empty_field.errors.append(problem(empty_field, empty_message))
        return None, None, False
    try:
        if item_id is None:
            _saved_state, conflict = _save_form(form, lambda: services.add_item(
                application_id, current_user, sezione, form.to_model(), form.form_token.data))
        else:
            _saved_state, conflict = _save_form(form, lambda: services.update_item(
                application_id, current_user, sezione, item_id, form.base_version(), form.to_model()))
    except services.DuplicateSubmission:
        return redirect(url_for(endpoint, application_id=application_id), 303), None, False
    except services.ItemGone:
        form.fresh_token()
        return None, None, True
    if form.errors or conflict is not None:
        return None, conflict, False
    return _saved(application_id, endpoint), None, False


@bp.route("/<int:application_id>/settori/nuovo", methods=["GET", "POST"], defaults={"sector_id": None})
@bp.route("/<int:application_id>/settori/<sector_id>", methods=["GET", "POST"])
def sector_edit(application_id: int, sector_id: str | None):
    state = _state(application_id, services.EDIT)
    form = _edit_page(state, "settori", sector_id, SectorForm)
    matches, total, page, conflict, gone = [], 0, 1, None, False
    action = request.form.get("azione", "salva") if request.method == "POST" else None
    if action == "invio":  # Enter in a text box: search when a search is typed, else save
        action = "cerca" if form.q.data else "salva"
    if action and action.startswith("aggiungi:"):
        form.ateco.data = list(dict.fromkeys([*(form.ateco.data or []), action.split(":", 1)[1]]))
        form.q.data = ""
    elif action and action.startswith("togli:"):
        form.ateco.data = [c for c in form.ateco.data or [] if c != action.split(":", 1)[1]]
    elif action and action.split(":")[0] == "cerca":
        page = _page(action.partition(":")[2])
        matches, total = ateco_matches(form.q.data, page)
    elif action == "salva" and form.validate():
        response, conflict, gone = _save_item(
            application_id, form, "settori", sector_id, form.descrizione,
            _("describe the sector or supply chain, or add its ATECO codes."))
        if response is not None:
            return response
    chosen = [(code, ateco_node(code, services.current_edition())) for code in form.ateco.data or []
              if ATECO_RE.match(code)]
    searched = bool(action and action.startswith("cerca"))
    return render("applications/sector_form.html", form=form, sector_id=sector_id, matches=matches, total=total,
                  page=page, chosen=chosen, searched=searched, focus_at=ateco_focus(page, searched), conflict=conflict,
                  gone=gone,
                  status=_status(form, conflict, gone), **_context(state))


# Fabbisogni -------------------------------------------------------------------------------------------------------


@bp.get("/<int:application_id>/fabbisogni")
def needs(application_id: int):
    return render("applications/needs.html", **_context(_state(application_id)))


@bp.route("/<int:application_id>/fabbisogni/nuovo", methods=["GET", "POST"], defaults={"need_id": None})
@bp.route("/<int:application_id>/fabbisogni/<need_id>", methods=["GET", "POST"])
def need_edit(application_id: int, need_id: str | None):
    state = _state(application_id, services.EDIT)
    form = _edit_page(state, "fabbisogni", need_id, NeedForm)
    conflict, gone = None, False
    action = request.form.get("azione", "salva") if request.method == "POST" else None
    if action == "aggiungi-fonte":
        form.fonti.append_entry()
        form.mark_needed()
    elif action and action.startswith("togli-fonte:"):
        index = action.split(":", 1)[1]
        form.fonti.entries = [e for e in form.fonti.entries if e.id != index] or form.fonti.entries
    elif action == "salva" and form.validate():
        response, conflict, gone = _save_item(
            application_id, form, "fabbisogni", need_id, form.titolo,
            _("name the skills need; the rest can be added later."))
        if response is not None:
            return response
    return render("applications/need_form.html", form=form, need_id=need_id, conflict=conflict, gone=gone,
                  status=_status(form, conflict, gone), **_context(state))


# Interventi -------------------------------------------------------------------------------------------------------


@bp.get("/<int:application_id>/interventi")
def interventions(application_id: int):
    return render("applications/interventions.html", **_context(_state(application_id)))


@bp.route("/<int:application_id>/interventi/nuovo", methods=["GET", "POST"], defaults={"intervention_id": None})
@bp.route("/<int:application_id>/interventi/<intervention_id>", methods=["GET", "POST"])
def intervention_edit(application_id: int, intervention_id: str | None):
    state = _state(application_id, services.EDIT)
    form = _edit_page(state, "interventi", intervention_id, InterventionForm)
    form.fabbisogni.choices = [(n.id, f"{n.id} \u2014 {n.titolo}") for n in state.domanda.fabbisogni]
    conflict, gone = None, False
    if request.method == "POST" and form.validate():
        response, conflict, gone = _save_item(
            application_id, form, "interventi", intervention_id, form.titolo,
            _("name the intervention; the rest can be added later."))
        if response is not None:
            return response
    return render("applications/intervention_form.html", form=form, intervention_id=intervention_id,
                  conflict=conflict, gone=gone, status=_status(form, conflict, gone), **_context(state))

