"""Le mie domande, the task list, the summary, and the pages of every section of the registry
(patti_web.avviso.sezioni). Plain forms first; htmx makes them smoother.

Views parse a form, call one use case of patti_web.domande and answer: a redirect (303), the page, or a fragment.
They import no model and no `db`: every read and write is scoped to the logged-in user (someone else's id is a 404).
A form that cannot be saved comes back with everything typed (422). A form opened on an older version is merged into
the current one; a field both the person and someone else changed comes back asking which value to keep (409).

The section routes are made from the registry: a single section has one page (/capofila); a list section has its
list (/partenariato), a page per item (/partenariato/<id>) and one to add one (/partenariato/nuovo), and its items
are removed after a confirmation page (/partenariato/<id>/rimuovi). A section's form (SectionForm.of) says what its
page does besides saving.
"""

from __future__ import annotations

import hashlib
import io

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from htmx_flask import make_response
from werkzeug.datastructures import MultiDict

from patti_web import domande
from patti_web.avviso import sezioni
from patti_web.avviso.domanda import DocumentError, read_document
from patti_web.documenti import downloads, pdf
from patti_web.i18n import gettext as _
from patti_web.portal import current_edition
from patti_web.web import stash
from patti_web.web.domande.forms import (
    SAVE,
    DuplicateForm,
    ImportForm,
    Invalid,
    NewDomandaForm,
    RemoveForm,
    SectionForm,
    ateco_focus,
    ateco_matches,
    initial_values,
    problem,
    results_page,
)
from patti_web.web.forms import EmptyForm, new_token
from patti_web.web.htmx import is_partial_request, render
from patti_web.web.messages import flash_link
from patti_web.web.templating import shown_value

bp = Blueprint("domande", __name__, url_prefix="/domande")

# After a conflict, each field's answer: scelta-<field> is "mio" (keep mine) or "salvato" (keep the saved value).
CHOICE, MINE, SAVED = "scelta-", "mio", "salvato"


@bp.before_request
@login_required
def require_login():
    """Every page of this area needs a logged-in user."""


def _state(domanda_id: int, allowed: frozenset[str] = domande.READ) -> domande.State:
    """The application for the logged-in user: 404 if they have no role in it, 403 if theirs cannot do this
    (domande.NotFound and Forbidden become those pages in patti_web.web.errors)."""
    return domande.load(domanda_id, current_user, allowed)


def _formdata(state: domande.State) -> MultiDict | None:
    """The submitted form, or on a GET what this browser typed before its session expired (patti_web.web.stash),
    if the user may edit the application; else None."""
    if request.method == "POST":
        return request.form
    if not state.head.can_edit:
        return None
    data = stash.take(request.path)
    if data is None:
        return None
    flash(_("What you typed before logging in again has been kept: check it and save."), "info")
    return MultiDict(data)


def _context(state: domande.State, **extra) -> dict:
    """What every page of an application shows: its findings, the checklist and the section states."""
    return {
        "head": state.head,
        "domanda": state.domanda,
        "findings": state.findings,
        "errors": state.errors,
        "checklist": state.checklist,
        "statuses": state.statuses,
        "can_edit": state.head.can_edit,
        "can_manage": state.head.can_manage,
        **extra,
    }


def _return_to(part: sezioni.Sezione, domanda_id: int) -> str:
    """Where a save goes back to: the task list for a single section, the section's list for an item."""
    return url_for(f"domande.{part.chiave}" if part.is_list else "domande.tasks", domanda_id=domanda_id)


def _saved(url: str, message: str | None = None, kept: tuple[str, ...] = (), form=None):
    """Say the change was saved (and whose changes it kept) and go back (303) to `url`."""
    flash(message or _("Changes saved."), "success")
    if kept and form is not None:
        labels = [str(form[name].label.text) for name, path in form.merge_fields().items() if path in kept]
        flash(_("Meanwhile someone else had changed fields you did not touch, and their values were kept: "
                "%(fields)s.", fields=", ".join(labels)), "info")
    return redirect(url, 303)


def _status(form, conflict=None, gone: bool = False) -> int:
    """409 when the application changed under the form, 422 when the form has errors, else 200."""
    return 409 if conflict is not None or gone else (422 if form.errors else 200)


def _kept_theirs(form, saved: dict[str, object]) -> frozenset[str] | None:
    """The fields a person chose to leave as saved, after a conflict; None (and an error next to the field) when a
    field the conflict asked about has no answer yet. `saved`: the part's current values, by merge path."""
    fields = form.merge_fields()
    asked = [name for name in (form.conflitto.data or "").split(",") if name in fields]
    unanswered = [name for name in asked if request.form.get(CHOICE + name) not in (MINE, SAVED)]
    if unanswered:
        form.add_errors([(name, _("choose whether to keep your value or the one saved meanwhile."))
                         for name in unanswered])
        for name in asked:
            form[name].saved_meanwhile = saved.get(fields[name])
        return None
    return frozenset(fields[name] for name in asked if request.form.get(CHOICE + name) == SAVED)


def _attempt(form, save):
    """Run `save()` and return (what it returned, None); what it refuses goes next to the form's fields (result
    None). A conflict is returned as (None, conflict): the form then carries the version now saved and asks, field
    by field, which value to keep."""
    try:
        return save(), None
    except (Invalid, domande.Refused) as exc:
        form.add_errors(exc.errors)
    except domande.Conflict as conflict:
        fields = {path: name for name, path in form.merge_fields().items()}
        for path in conflict.kept_theirs:  # what only someone else changed: the form shows it now
            if path in fields:
                form[fields[path]].process(None, conflict.merged[path])
        names = [form.field_for(change.path) or change.path for change in conflict.changes]
        form.add_errors([(name, _("changed meanwhile by someone else, who saved \u201c%(value)s\u201d: choose "
                                  "which value to keep.", value=shown_value(change.theirs)))
                         for name, change in zip(names, conflict.changes, strict=True)])
        for name, change in zip(names, conflict.changes, strict=True):
            if name in form:
                form[name].saved_meanwhile = change.theirs
        form.versione.data = str(conflict.versione)
        form.conflitto.data = ",".join(name for name in names if name in form)
        return None, conflict
    except domande.Busy:
        form.form_errors.append(_("Many changes are being saved on this application right now: nothing was saved. "
                                  "Save again in a moment."))
    return None, None


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
    state = _state(domanda_id, domande.MANAGE)
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
    text, name = downloads.json_text(_state(domanda_id))
    return send_file(io.BytesIO(text.encode()), mimetype="application/json", as_attachment=True, download_name=name)


# Task list, checklist, summary -----------------------------------------------------------------------------------


@bp.get("/<int:domanda_id>")
def tasks(domanda_id: int):
    return render("domande/tasks.html", **_context(_state(domanda_id)))


@bp.get("/<int:domanda_id>/checklist")
def checklist(domanda_id: int):
    """The composition checklist; an unchanged version answers 304 to a conditional GET."""
    state = _state(domanda_id)
    etag = f"{current_app.config['PATTI_BUILD']}-{state.id}-{state.versione}-{int(is_partial_request())}"
    if request.if_none_match.contains(etag):
        response = current_app.response_class(status=304)
    else:
        response = render("domande/checklist.html", "checklist", **_context(state))
    response.set_etag(etag)  # Cache-Control: no-store, as on every page (patti_web.web.security)
    response.vary.add("HX-Request")
    return response


@bp.get("/<int:domanda_id>/riepilogo")
def riepilogo(domanda_id: int):
    return render("domande/riepilogo.html", pdf_available=pdf.is_available(), **_context(_state(domanda_id)))


@bp.get("/ateco")
def ateco_search():
    """Suggestions for the ATECO search box of a sector's form (htmx), or a page of matches."""
    query, page = request.args.get("q", "")[:100], results_page(request.args.get("pagina"))
    matches, total = ateco_matches(query, current_edition(), page)
    return render("domande/ateco.html", "ateco_risultati", query=query, matches=matches, total=total, page=page,
                  in_form=is_partial_request(), focus_at=ateco_focus(page, not is_partial_request()))


# Sections ---------------------------------------------------------------------------------------------------------


def _initial(part: sezioni.Sezione, state: domande.State, item=None) -> dict:
    """A form's first values: the section's (or the item's) as saved, and the version they are from."""
    values: dict = {"versione": state.versione}
    if item is not None:
        return {**initial_values(item), **values}
    if part.is_list:
        return values
    for name, value in part.value(state.domanda).items():
        values.update(initial_values(value) if hasattr(type(value), "model_fields") else {name: value})
    return values


def _form(part: sezioni.Sezione, state: domande.State, data: dict | None = None):
    form = SectionForm.of(part.chiave)(formdata=_formdata(state), data=data or {})
    form.prepare(state.domanda, current_edition())
    return form


def _page(part: sezioni.Sezione, template: str, state: domande.State, form, status: int, **extra):
    """A section's page (htmx: only its form's fragment, when it has one)."""
    extra = {**form.page_context(state.domanda, current_edition()), **extra}
    return render(template, getattr(form, "fragment", None), form=form, sezione=part, status=status,
                  **_context(state, **extra))


def single_section(domanda_id: int, sezione: str):
    """A single section's page (capofila, territorio): its form, saved as a whole and merged field by field."""
    part = sezioni.BY_KEY[sezione]
    state = _state(domanda_id, domande.EDIT)
    form = _form(part, state, _initial(part, state))
    conflict, extra = None, {}
    if request.method == "POST":
        action = form.action(request.form.get("azione"))
        if action != SAVE:
            extra = form.apply(action, current_edition())
        elif form.validate() and (kept := _kept_theirs(form, domande.flatten(part.value(state.domanda)))) is not None:
            saved, conflict = _attempt(form, lambda: domande.save_section(
                domanda_id, current_user, sezione, form.base_version(), form.section_value(), kept))
            if saved is not None:
                return _saved(_return_to(part, domanda_id), kept=saved.kept_theirs, form=form)
    return _page(part, f"domande/{part.chiave}.html", state, form, _status(form, conflict), conflict=conflict,
                 **extra)


def list_page(domanda_id: int, sezione: str):
    """A list section's page: its items, and for a section whose form is on the list (partners) the form to add one
    (htmx: the list and the form come back in place, the checklist with them out of band)."""
    part = sezioni.BY_KEY[sezione]
    state = _state(domanda_id, domande.EDIT if request.method == "POST" else domande.READ)
    form = _form(part, state) if getattr(SectionForm.of(sezione), "on_the_list", False) else None
    if form is None:
        return render(f"domande/{part.chiave}.html", sezione=part, **_context(state))
    if request.method == "GET" and not form.form_token.data:
        form.fresh_token()
    status = 200
    if request.method == "POST" and form.validate():
        added = _add(part, state, form)
        if isinstance(added, domande.DuplicateSubmission):
            return _already_added(part, domanda_id, added)
        if added is not None:
            if not is_partial_request():
                return redirect(_return_to(part, domanda_id), 303)
            state, form = added.state, _form(part, added.state)
            form.fresh_token()
            return _list_area(part, state, form, 200, inline_messages=True)
    if form.errors:
        status = 422
    return _list_area(part, state, form, status)


def _list_area(part: sezioni.Sezione, state: domande.State, form, status: int, **extra):
    context = _context(state, form=form, sezione=part, **extra)
    response = render(f"domande/{part.chiave}.html", form.list_fragment, status=status, **context)
    if is_partial_request():
        response.set_data(response.get_data(as_text=True)
                          + render_template("domande/_checklist.html", oob=True, **context))
    return response


def _add(part: sezioni.Sezione, state: domande.State, form):
    """Add the item a form holds, once per form token: the Saved, the DuplicateSubmission of a second time, or None
    (the form says what is wrong)."""
    if form.is_empty():
        already = domande.added_with(state.id, current_user, form.form_token.data or "")
        if already:  # Back to an emptied form and Save: what the token added is the answer
            return domande.DuplicateSubmission(form.form_token.data, part.chiave, already)
        field = form[form.empty_field]
        field.errors.append(problem(field, str(form.empty_message)))
        return None
    try:
        saved, _conflict = _attempt(form, lambda: domande.add_item(
            state.id, current_user, part.chiave, form.to_model(), form.form_token.data))
    except domande.DuplicateSubmission as again:
        return again
    if saved is not None:
        flash(_("%(name)s added.", name=_title(part, saved)), "success")
    return saved


def _title(part: sezioni.Sezione, saved: domande.Saved) -> str:
    index, item = part.find(saved.state.domanda, saved.item.id)
    return part.item_title(item, index)


def _already_added(part: sezioni.Sezione, domanda_id: int, again: domande.DuplicateSubmission):
    """The same "add" form a second time (a double click, or Back and Save): nothing is added again; the list says
    so and links the item the first time added."""
    message = _("This form had already added an item: nothing was added again.")
    if again.elemento and again.sezione == part.chiave:
        link = url_for(f"domande.{part.elemento}", domanda_id=domanda_id, item_id=again.elemento)
        flash_link(message, link, _("Open it"))
    else:
        flash(message, "info")
    url = _return_to(part, domanda_id)
    response = make_response("", 200, redirect=url) if is_partial_request() else redirect(url, 303)
    response.vary.add("HX-Request")
    return response


def item_page(domanda_id: int, sezione: str, item_id: str | None):
    """The page of one item of a list section (item_id None: a new one). A new item's page carries its form's
    one-time token in its address (`?modulo=`), so that Back and Save again finds the item it added."""
    part = sezioni.BY_KEY[sezione]
    state = _state(domanda_id, domande.EDIT)
    token = request.args.get("modulo", "")
    if item_id is None and request.method == "GET" and not token:
        return redirect(url_for(f"domande.{part.elemento}", domanda_id=domanda_id, modulo=new_token()), 303)
    item = domande.get_item(state, sezione, item_id) if item_id is not None and request.method == "GET" else None
    form = _form(part, state, _initial(part, state, item))
    if item_id is None and request.method == "GET" and not form.form_token.data:
        form.form_token.data = token[:64]
    conflict, gone, already, extra = None, False, None, {}
    if request.method == "POST":
        action = form.action(request.form.get("azione"))
        if action != SAVE:
            extra = form.apply(action, current_edition())
        elif form.validate() and (kept := _kept_theirs(form, _saved_item(part, state, item_id))) is not None:
            if item_id is None:
                added = _add(part, state, form)
                if isinstance(added, domande.DuplicateSubmission):
                    return _already_added(part, domanda_id, added)
                if added is not None:
                    return redirect(_return_to(part, domanda_id), 303)
            else:
                try:
                    saved, conflict = _attempt(form, lambda: domande.update_item(
                        domanda_id, current_user, sezione, item_id, form.base_version(), form.to_model(), kept))
                except domande.ItemGone:
                    gone = True
                    form.fresh_token()
                else:
                    if saved is not None:
                        return _saved(_return_to(part, domanda_id), _("%(name)s updated.", name=_title(part, saved)),
                                      saved.kept_theirs, form)
    elif item_id is None:
        already = domande.added_with(domanda_id, current_user, form.form_token.data)
    return _page(part, f"domande/{part.elemento}.html", state, form, _status(form, conflict, gone),
                 item_id=item_id, conflict=conflict, gone=gone, already=already, **extra)


def _saved_item(part: sezioni.Sezione, state: domande.State, item_id: str | None) -> dict[str, object]:
    found = part.find(state.domanda, item_id) if item_id is not None else None
    return domande.flatten(found[1]) if found is not None else {}


def remove(domanda_id: int, sezione: str, item_id: str):
    """Remove an item of a list section, after a confirmation page (with or without JavaScript). An item someone
    changed after the page was opened is not removed: the page says what changed and asks again."""
    part = sezioni.BY_KEY[sezione]
    state = _state(domanda_id, domande.EDIT)
    found = part.find(state.domanda, item_id)
    if found is None:
        raise domande.NotFound(item_id)
    name = part.item_title(found[1], found[0])
    form = RemoveForm(data={"versione": state.versione})
    changed = None
    if request.method == "POST" and form.validate():
        try:
            domande.remove_item(domanda_id, current_user, sezione, item_id, form.base_version())
        except domande.Conflict as conflict:
            changed = conflict
            form.versione.data = str(conflict.versione)
        else:
            flash(_("\u201c%(name)s\u201d removed.", name=name), "success")
            return redirect(_return_to(part, domanda_id), 303)
    return render("domande/confirm.html", form=form, head=state.head, changed=changed,
                  changed_fields=_labelled(sezione, changed.changes) if changed else [],
                  title=_("Remove \u201c%(name)s\u201d?", name=name),
                  question=_("\u201c%(name)s\u201d will be removed from the application.", name=name),
                  confirm=_("Yes, remove it"), back=_return_to(part, domanda_id), status=409 if changed else 200)


def _labelled(sezione: str, changes: list[domande.FieldChange]) -> list[tuple[str, object]]:
    """(label of the field, value saved now) of the changes someone made to an item."""
    form = SectionForm.of(sezione)(formdata=None)
    return [(form[name].label.text if (name := form.field_for(c.path)) else c.path, c.theirs) for c in changes]


def _register_sections() -> None:
    """The routes of every section of the registry."""
    for part in sezioni.SEZIONI:
        base = f"/<int:domanda_id>/{part.chiave}"
        defaults = {"sezione": part.chiave}
        if not part.is_list:
            bp.add_url_rule(base, part.chiave, single_section, defaults=defaults, methods=["GET", "POST"])
            continue
        on_the_list = getattr(SectionForm.of(part.chiave), "on_the_list", False)
        bp.add_url_rule(base, part.chiave, list_page, defaults=defaults,
                        methods=["GET", "POST"] if on_the_list else ["GET"])
        bp.add_url_rule(f"{base}/nuovo", part.elemento, item_page, defaults={**defaults, "item_id": None},
                        methods=["GET", "POST"])
        bp.add_url_rule(f"{base}/<item_id>", part.elemento, item_page, defaults=defaults, methods=["GET", "POST"])
    keys = ", ".join(part.chiave for part in sezioni.LISTS)
    bp.add_url_rule(f"/<int:domanda_id>/<any({keys}):sezione>/<item_id>/rimuovi", "remove", remove,
                    methods=["GET", "POST"])


_register_sections()
