"""Le mie domande, creating, importing, duplicating and deleting an application, the task list, the checklist, the
summary and the ATECO search; the pages of every section come from the registry (patti_web.web.domande.sections).
Plain forms first; htmx makes them smoother.

Views parse a form, call one use case of patti_web.domande and answer: a redirect (303), the page, or a fragment.
They import no model and no `db`: every read and write is scoped to the logged-in user (someone else's id is a 404).
A form that cannot be saved comes back with everything typed (422).
"""

from __future__ import annotations

import hashlib
import io

from flask import Blueprint, abort, current_app, flash, redirect, request, send_file, url_for
from flask_login import current_user, login_required

from patti_web import domande, fogli
from patti_web.avviso import sezioni
from patti_web.avviso.domanda import DocumentError, read_document
from patti_web.avviso.regole import stamp_duty
from patti_web.documenti import act_order, downloads, pdf
from patti_web.i18n import gettext as _
from patti_web.i18n import ngettext
from patti_web.portal import current_edition
from patti_web.web.domande import partner_import, sections
from patti_web.web.domande.context import page_context, state_for
from patti_web.web.domande.forms import (
    DuplicateForm,
    ImportForm,
    NewDomandaForm,
    PartnerImportForm,
    ateco_focus,
    ateco_matches,
    problem,
    results_page,
)
from patti_web.web.domande.sections import register_sections
from patti_web.web.forms import EmptyForm, new_token
from patti_web.web.htmx import is_partial_request, render

bp = Blueprint("domande", __name__, url_prefix="/domande")


@bp.before_request
@login_required
def require_login():
    """Every page of this area needs a logged-in user."""


# Le mie domande --------------------------------------------------------------------------------------------------


def _index(new_form: NewDomandaForm, status: int = 200):
    if not new_form.form_token.data:
        new_form.fresh_token()
    return render("domande/index.html", rows=domande.list_domande(current_user), new_form=new_form,
                  action_form=EmptyForm(), duplicate_token=new_token(), sections_total=len(sezioni.SEZIONI),
                  status=status)


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
    return _index(NewDomandaForm(formdata=None))


@bp.post("/nuova")
def create():
    if current_user.staff:
        abort(403)  # staff read; they do not write applications
    form = NewDomandaForm()
    if not form.validate():
        return _index(form, 422)
    head = domande.create_domanda(current_user, form.titolo.data,
                                  _creation_token(form.form_token.data, form.titolo.data))
    flash(_("Application created: start from the lead partner."), "success")
    return redirect(url_for("domande.tasks", domanda_id=head.id), 303)


@bp.post("/<int:domanda_id>/duplica")
def duplicate(domanda_id: int):
    if current_user.staff:
        abort(403)  # staff create nothing, even where they were invited
    form = DuplicateForm()
    if not form.validate():
        abort(400)
    copy = domande.duplicate_domanda(domanda_id, current_user,
                                     _creation_token(form.form_token.data, str(domanda_id)))
    flash(_("Application duplicated."), "success")
    return redirect(url_for("domande.tasks", domanda_id=copy.id), 303)


@bp.route("/<int:domanda_id>/elimina", methods=["GET", "POST"])
def delete(domanda_id: int):
    state = state_for(domanda_id, domande.MANAGE)
    form = EmptyForm()
    if request.method == "POST" and form.validate():
        title = domande.delete_domanda(domanda_id, current_user)
        flash(_("Application \u201c%(title)s\u201d deleted.", title=title), "success")
        return redirect(url_for("domande.index"), 303)
    return render("domande/confirm.html", form=form, head=state.head, title=_("Delete the application?"),
                  question=_("The application \u201c%(title)s\u201d and all its sections will be deleted. This "
                             "cannot be undone.", title=state.head.titolo),
                  confirm=_("Yes, delete it"), back=url_for("domande.index"))


@bp.route("/importa", methods=["GET", "POST"])
def import_json():
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
            head = domande.import_domanda(domanda, current_user, _creation_token(form.form_token.data, content))
            flash(_("Application imported."), "success")
            if domanda.is_v1:
                flash(_("The file was in the older format (patti-web/domanda@1): the application now asks also for "
                        "what the current format added, such as the partners' legal representatives."), "info")
            return redirect(url_for("domande.tasks", domanda_id=head.id), 303)
    return render("domande/import.html", form=form, status=422 if form.errors else 200)


@bp.get("/<int:domanda_id>/domanda.json")
def export_json(domanda_id: int):
    text, name = downloads.json_text(state_for(domanda_id))
    return send_file(io.BytesIO(text.encode()), mimetype="application/json", as_attachment=True, download_name=name)


# Task list, checklist, summary -----------------------------------------------------------------------------------


@bp.get("/<int:domanda_id>")
def tasks(domanda_id: int):
    return render("domande/tasks.html", **page_context(state_for(domanda_id)))


@bp.get("/<int:domanda_id>/checklist")
def checklist(domanda_id: int):
    """The composition checklist; an unchanged version answers 304 to a conditional GET."""
    state = state_for(domanda_id)
    etag = f"{current_app.config['PATTI_BUILD']}-{state.id}-{state.versione}-{int(is_partial_request())}"
    if request.if_none_match.contains(etag):
        response = current_app.response_class(status=304)
    else:
        response = render("domande/checklist.html", "checklist", **page_context(state))
    response.set_etag(etag)  # Cache-Control: no-store, as on every page (patti_web.web.security)
    response.vary.add("HX-Request")
    return response


@bp.get("/<int:domanda_id>/riepilogo")
def riepilogo(domanda_id: int):
    state = state_for(domanda_id)
    return render("domande/riepilogo.html", pdf_available=pdf.is_available(),
                  act_date_warning=downloads.date_warning(state), stamp=stamp_duty(state.domanda, current_edition()),
                  lettere=act_order(state.domanda, current_edition()), **page_context(state))


@bp.get("/ateco")
def ateco_search():
    """Suggestions for the ATECO search box of a sector's form (htmx), or a page of matches."""
    query, page = request.args.get("q", "")[:100], results_page(request.args.get("pagina"))
    matches, total = ateco_matches(query, current_edition(), page)
    return render("domande/ateco.html", "ateco_risultati", query=query, matches=matches, total=total, page=page,
                  in_form=is_partial_request(), focus_at=ateco_focus(page, not is_partial_request()))


# Partners from a spreadsheet (patti_web.web.domande.partner_import) ----------------------------------------------


@bp.get("/<int:domanda_id>/partenariato/modello.<any(csv, xlsx):formato>")
def partner_template(domanda_id: int, formato: str):
    """The template of the partners' spreadsheet, CSV or XLSX (the same columns as the partner form)."""
    state_for(domanda_id)
    kind = fogli.CSV if formato == "csv" else fogli.XLSX
    mimetype = "text/csv" if kind == fogli.CSV else (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return send_file(io.BytesIO(partner_import.template_file(current_edition(), kind)), mimetype=mimetype,
                     as_attachment=True, download_name=f"partenariato-modello.{formato}")


@bp.route("/<int:domanda_id>/partenariato/importa", methods=["GET", "POST"])
def import_partners(domanda_id: int):
    """Load partners from a CSV or XLSX file: every row checked as the partner form checks it; all of them are added
    (one save) or, when any row is wrong, none, and the partnership page lists what is wrong by row and column."""
    section = sezioni.BY_KEY[partner_import.SEZIONE]
    page = url_for("domande.partenariato", domanda_id=domanda_id)
    state = state_for(domanda_id, domande.EDIT if request.method == "POST" else domande.READ)
    if request.method == "GET":
        return redirect(f"{page}#importa", 303)
    form = PartnerImportForm()
    listing: list[str] = []
    if form.validate() and domande.added_with(domanda_id, current_user, form.form_token.data or "") is not None:
        return _already_loaded(page)  # the same form again (a double click, Back and Send): loaded once
    if not form.errors:
        outcome = partner_import.read_partners(form.foglio.data.read(fogli.MAX_BYTES + 1), state.domanda,
                                               current_edition())
        if not (outcome.errors or outcome.file_errors):
            try:
                saved = domande.add_items(domanda_id, current_user, section.chiave, outcome.partners,
                                          form.form_token.data)
            except domande.DuplicateSubmission:
                return _already_loaded(page)
            except domande.ItemsRefused as refused:  # someone added one of them meanwhile
                outcome.errors = [message for _row, message in
                                  partner_import.problems_by_row(state.domanda, outcome, refused.problems)]
            except domande.Refused as refused:
                outcome.file_errors = [message for _field, message in refused.errors]
            else:
                flash(ngettext("%(num)s partner loaded from the file.", "%(num)s partners loaded from the file.",
                               len(saved.item)), "success")
                return redirect(page, 303)
        form.foglio.errors += [problem(form.foglio, message[:1].lower() + message[1:])
                               for message in outcome.file_errors]
        if outcome.errors:
            listing = outcome.errors
            form.foglio.errors.append(problem(form.foglio, ngettext(
                "the file has %(num)s error, and nothing was loaded: correct it and load the file again.",
                "the file has %(num)s errors, and nothing was loaded: correct them and load the file again.",
                len(listing))))
    form.fresh_token()
    return sections.list_area(section, state, sections.add_form(section, state), 422, import_form=form,
                              import_errors=listing[:partner_import.ERRORS_SHOWN],
                              import_errors_more=max(0, len(listing) - partner_import.ERRORS_SHOWN))


def _already_loaded(page: str):
    flash(_("This file had already been loaded: nothing was added again."), "info")
    return redirect(page, 303)


# Sections: their pages are made from the registry (patti_web.web.domande.sections) ------------------------------

register_sections(bp)
