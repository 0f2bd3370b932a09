"""The pages of every section of the registry (patti_web.avviso.sezioni), made from it: a single section has one page
(/capofila); a list section has its list (/partenariato), a page per item (/partenariato/<id>), one to add an item
(/partenariato/nuovo, with its form's one-time token in the address: ?modulo=), and a confirmation page to remove one
(/partenariato/<id>/rimuovi). A section's form (SectionForm.of) says what its page does besides saving.

A form opened on an older version is merged into the current one (patti_web.domande.merge). When a field both the
person and someone else changed stops the save, the page comes back (409): the form holds the values saved meanwhile
for what the person had not changed, and each field in conflict asks, with nothing chosen, whether to keep the
person's value (scelta-<field> = "mio") or the saved one ("salvato"). The fields asked about travel in the hidden
`conflitto` until the person answers, through validation errors and the page's other buttons.
"""

from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from patti_web import domande, storage
from patti_web.avviso import sezioni
from patti_web.i18n import gettext as _
from patti_web.portal import current_edition
from patti_web.web.domande.context import formdata, page_context, state_for
from patti_web.web.domande.forms import SAVE, Invalid, RemoveForm, SectionForm, initial_values, problem
from patti_web.web.forms import new_token
from patti_web.web.htmx import is_partial_request, redirect_to, render
from patti_web.web.messages import flash_link

log = logging.getLogger(__name__)

CHOICE, MINE, SAVED = "scelta-", "mio", "salvato"


# Conflicts ---------------------------------------------------------------------------------------------------------


def _ask(form, saved: dict[str, object], choices: dict[str, str | None]) -> None:
    """Mark the fields a conflict asks about (`form.conflitto`) with the value saved meanwhile and the person's answer
    so far, for the page (macros/forms.html, conflict_choice)."""
    fields = form.merge_fields()
    for name in (form.conflitto.data or "").split(","):
        field = form.field_named(name) if name in fields else None
        if field is not None:
            field.saved_meanwhile = form.display(name, saved.get(fields[name]))
            field.choice = choices.get(name)


def _answers(form) -> dict[str, str | None]:
    return {name: request.form.get(CHOICE + name) for name in (form.conflitto.data or "").split(",") if name}


def _kept_theirs(form) -> frozenset[str] | None:
    """The fields a person chose, after a conflict, to leave as saved; None (and an error next to the field) while a
    field the conflict asked about has no answer."""
    fields = form.merge_fields()
    answers = {name: answer for name, answer in _answers(form).items() if name in fields}
    unanswered = [name for name, answer in answers.items() if answer not in (MINE, SAVED)]
    if unanswered:
        form.add_errors([(name, _("choose whether to keep your value or the one saved meanwhile."))
                         for name in unanswered])
        return None
    return frozenset(fields[name] for name, answer in answers.items() if answer == SAVED)


def _attempt(form, save):
    """Run `save()` and return (what it returned, None); what it refuses goes next to the form's fields (result
    None). A conflict is returned as (None, conflict): the form then holds what was saved meanwhile for every field
    the person had not changed (or chose to leave as saved), carries the version now saved, and asks about the
    fields in conflict, with nothing chosen."""
    try:
        return save(), None
    except (Invalid, domande.Refused) as exc:
        form.add_errors(exc.errors)
    except domande.Conflict as conflict:
        form.rebase(conflict.rebased)
        names = [form.field_for(change.path) or change.path for change in conflict.changes]
        form.add_errors([(name, _("changed meanwhile by someone else, who saved \u201c%(value)s\u201d: choose "
                                  "which value to keep.", value=form.display(name, change.theirs)))
                         for name, change in zip(names, conflict.changes, strict=True)])
        form.versione.data = str(conflict.versione)
        form.conflitto.data = ",".join(name for name in names if form.field_named(name) is not None)
        _ask(form, {change.path: change.theirs for change in conflict.changes}, {})
        return None, conflict
    except storage.Unavailable as unavailable:
        log.error("the database cannot write: %s (%s)", unavailable.cause, request.path,
                  exc_info=unavailable.__cause__)
        form.unavailable = True
        form.form_errors.append(_("The service cannot save right now: nothing was saved, and what you typed is still "
                                  "here. Save again in a little while."))
    except domande.Busy:
        form.form_errors.append(_("Many changes are being saved on this application right now: nothing was saved. "
                                  "Save again in a moment."))
    return None, None


def _shown(section: sezioni.Sezione, form_class):
    """A part of the document as the person's form shows it and sends it back untouched (trimmed, upper case...),
    for the merge to tell a change the person made from the form's own tidying."""

    def shown(value):
        form = form_class(formdata=None, data=_values_of(section, value))
        try:
            return form.to_model() if section.is_list else form.section_value()
        except Invalid:
            return value

    return shown


def _values_of(section: sezioni.Sezione, value) -> dict:
    """A section's (or an item's) saved value as a form's first values."""
    if section.is_list:
        return initial_values(value)
    values: dict = {}
    for name, part in value.items():
        values.update(initial_values(part) if hasattr(type(part), "model_fields") else {name: part})
    return values


# The pages ---------------------------------------------------------------------------------------------------------


def _return_to(section: sezioni.Sezione, domanda_id: int) -> str:
    """Where a save goes back to: the task list for a single section, the section's list for an item."""
    return url_for(f"domande.{section.chiave}" if section.is_list else "domande.tasks", domanda_id=domanda_id)


def _saved(url: str, message: str | None = None, kept: tuple[str, ...] = (), form=None):
    """Say the change was saved (and whose changes it kept) and go back (303) to `url`."""
    flash(message or _("Changes saved."), "success")
    if kept and form is not None:
        labels = [form.label_for(name) for name, path in form.merge_fields().items() if path in kept]
        flash(_("Meanwhile someone else had changed fields you did not touch, and their values were kept: "
                "%(fields)s.", fields=", ".join(labels)), "info")
    return redirect(url, 303)


def _status(form, conflict=None, gone: bool = False) -> int:
    """503 when the database could not write, 409 when the application changed under the form, 422 when the form
    has errors, else 200."""
    if getattr(form, "unavailable", False):
        return 503
    return 409 if conflict is not None or gone else (422 if form.errors else 200)


def _form(section: sezioni.Sezione, state: domande.State, data: dict | None = None, stored=None):
    form = SectionForm.of(section.chiave)(formdata=formdata(state), data=data or {})
    form.prepare(state.domanda, current_edition(), stored)
    return form


def _page(section: sezioni.Sezione, template: str, state: domande.State, form, status: int, saved=None,
          conflict=None, **extra):
    """A section's page (htmx: only its form's fragment, when it has one). A conflict still waiting for answers (the
    page came back for another reason) keeps asking, with the answers given so far."""
    if conflict is None and request.method == "POST" and form.conflitto.data:
        _ask(form, domande.flatten(saved) if saved is not None else {}, _answers(form))
    extra = {**form.page_context(state.domanda, current_edition()), **extra}
    return render(template, getattr(form, "fragment", None), form=form, section=section, status=status,
                  conflict=conflict, **page_context(state, **extra))


def single_section(domanda_id: int, sezione: str):
    """A single section's page (capofila, territorio): its form, saved as a whole and merged field by field."""
    section = sezioni.BY_KEY[sezione]
    state = state_for(domanda_id, domande.EDIT)
    saved = section.value(state.domanda)
    form = _form(section, state, {**_values_of(section, saved), "versione": state.versione}, saved)
    conflict, extra = None, {}
    if request.method == "POST":
        action = form.action(request.form.get("azione"))
        if action != SAVE:
            extra = form.apply(action, current_edition())
        elif form.validate() and (kept := _kept_theirs(form)) is not None:
            done, conflict = _attempt(form, lambda: domande.save_section(
                domanda_id, current_user, sezione, form.base_version(), form.section_value(), kept,
                _shown(section, type(form))))
            if done is not None:
                return _saved(_return_to(section, domanda_id), kept=done.kept_theirs, form=form)
    return _page(section, f"domande/{section.chiave}.html", state, form, _status(form, conflict), saved,
                 conflict, **extra)


def list_page(domanda_id: int, sezione: str):
    """A list section's page: its items, and for a section whose form is on the list (partners) the form to add one
    (htmx: the list and the form come back in place, the checklist with them out of band). The form's one-time token
    adds once: the same content again says what it added, something else typed on the same form is kept."""
    section = sezioni.BY_KEY[sezione]
    state = state_for(domanda_id, domande.EDIT if request.method == "POST" else domande.READ)
    if not getattr(SectionForm.of(sezione), "on_the_list", False):
        return render(f"domande/{section.chiave}.html", section=section, **page_context(state))
    form = _form(section, state)
    if request.method == "GET" and not form.form_token.data:
        form.fresh_token()
    if request.method == "GET" and is_partial_request() and request.htmx.target == form.filter_target:
        return list_area(section, state, form, 200, block=form.filter_block)  # the list, filtered as typed
    if request.method == "POST" and form.validate():
        added = _add(section, state, form, ADDED)
        if isinstance(added, domande.DuplicateSubmission):
            if _second_click(section, state, form, added.elemento):
                return _already_added(section, domanda_id, added)
            # The page the browser kept (Back) with something else typed into it: kept, with a fresh token so
            # that saving it again adds it as another item.
            form.fresh_token()
            return list_area(section, state, form, 409, already=added.elemento, another=True)
        if added is not None:
            if not is_partial_request():
                # Back where the person works: the form, with what it added said beside it (and the list's filter).
                return redirect(url_for(f"domande.{section.chiave}", domanda_id=domanda_id, **request.args.to_dict(),
                                        _anchor=form.add_anchor), 303)
            return list_area(section, added.state, add_form(section, added.state), 200, inline_messages=True)
    return list_area(section, state, form, _status(form))


def add_form(section: sezioni.Sezione, state: domande.State):
    """An empty "add" form of a list section whose form is on the list, with a new token: after an add, or on its
    page shown for another of its forms (nothing posted is taken for it)."""
    form = SectionForm.of(section.chiave)(formdata=None)
    form.prepare(state.domanda, current_edition())
    form.fresh_token()
    return form


# The category of the message that says what an "add" form on a list added: shown beside that form, not at the top.
ADDED = "aggiunto"


def list_area(section: sezioni.Sezione, state: domande.State, form, status: int, block: str | None = None,
              **extra):
    """The page of a list section whose form is on the list (htmx: its `block`, by default the list and the form,
    with the checklist out of band)."""
    context = page_context(state, form=form, section=section,
                           **{**form.page_context(state.domanda, current_edition()), **extra})
    response = render(f"domande/{section.chiave}.html", block or form.list_fragment, status=status, **context)
    if is_partial_request() and block is None:
        response.set_data(response.get_data(as_text=True)
                          + render_template("domande/_checklist.html", oob=True, **context))
    return response




def _add(section: sezioni.Sezione, state: domande.State, form, category: str = "success"):
    """Add the item a form holds, once per form token: the Saved, the DuplicateSubmission of a second time, or None
    (the form says what is wrong)."""
    if form.is_empty():
        already = domande.added_with(state.id, current_user, form.form_token.data or "")
        if already:  # Back to an emptied form and Save: what the token added is the answer
            return domande.DuplicateSubmission(form.form_token.data, section.chiave, already)
        field = form[form.empty_field]
        field.errors.append(problem(field, str(form.empty_message)))
        return None
    try:
        saved, _conflict = _attempt(form, lambda: domande.add_item(
            state.id, current_user, section.chiave, form.to_model(), form.form_token.data))
    except domande.DuplicateSubmission as again:
        return again
    if saved is not None:
        flash(_("%(name)s added.", name=_title(section, saved)), category)
    return saved


def _title(section: sezioni.Sezione, saved: domande.Saved) -> str:
    index, item = section.find(saved.state.domanda, saved.item.id)
    return section.item_title(item, index)


def _already_added(section: sezioni.Sezione, domanda_id: int, again: domande.DuplicateSubmission):
    """The same "add" form a second time with the same content (a double click): nothing is added again; the list
    says so and links the item the first time added."""
    message = _("This form had already added an item: nothing was added again.")
    if again.elemento and again.sezione == section.chiave:
        link = url_for(f"domande.{section.elemento}", domanda_id=domanda_id, item_id=again.elemento)
        flash_link(message, link, _("Open it"))
    else:
        flash(message, "info")
    return redirect_to(_return_to(section, domanda_id))


def _second_click(section: sezioni.Sezione, state: domande.State, form, item_id: str) -> bool:
    """Is the form what its token already added (a second click; Back to a form the browser emptied), rather than
    something else typed into the form the browser brought Back?"""
    if form.is_empty():
        return True
    found = section.find(state.domanda, item_id)
    try:
        typed = form.to_model()
    except Invalid:
        return False
    return found is not None and typed.model_copy(update={"id": item_id}) == found[1]


def item_page(domanda_id: int, sezione: str, item_id: str | None):
    """The page of one item of a list section (item_id None: a new one). A new item's page carries its form's
    one-time token in its address (`?modulo=`), so that Back and Save again finds the item it added: the same
    content is not added twice; something else typed there is kept on the page, with a button to add it as a new
    item."""
    section = sezioni.BY_KEY[sezione]
    state = state_for(domanda_id, domande.EDIT)
    token = request.args.get("modulo", "")
    if item_id is None and request.method == "GET" and not token:
        return redirect(url_for(f"domande.{section.elemento}", domanda_id=domanda_id, modulo=new_token()), 303)
    found = section.find(state.domanda, item_id) if item_id is not None else None
    if item_id is not None and found is None and request.method == "GET":
        raise domande.NotFound(item_id)
    stored = found[1] if found is not None else None
    data = {**(initial_values(stored) if stored is not None and request.method == "GET" else {}),
            "versione": state.versione}
    form = _form(section, state, data, stored)
    if item_id is None and token and (request.method == "POST" or not form.form_token.data):
        form.form_token.data = token[:64]  # the address's token: "add it as a new item" posts with a fresh one
    conflict, gone, already, extra = None, False, None, {}
    if request.method == "POST":
        action = form.action(request.form.get("azione"))
        if action != SAVE:
            extra = form.apply(action, current_edition())
            gone = item_id is not None and found is None  # a source added on the page of an item removed meanwhile
        elif item_id is None and form.validate():
            added = _add(section, state, form)
            if isinstance(added, domande.DuplicateSubmission):
                if _second_click(section, state, form, added.elemento):
                    return _already_added(section, domanda_id, added)
                already, extra["another"] = added.elemento, url_for(
                    f"domande.{section.elemento}", domanda_id=domanda_id, modulo=new_token())
            elif added is not None:
                return redirect(_return_to(section, domanda_id), 303)
        elif item_id is not None and form.validate() and (kept := _kept_theirs(form)) is not None:
            try:
                done, conflict = _attempt(form, lambda: domande.update_item(
                    domanda_id, current_user, sezione, item_id, form.base_version(), form.to_model(), kept,
                    _shown(section, type(form))))
            except domande.ItemGone:
                gone = True
                form.fresh_token()
                form.conflitto.data = ""
            else:
                if done is not None:
                    return _saved(_return_to(section, domanda_id),
                                  _("%(name)s updated.", name=_title(section, done)), done.kept_theirs, form)
    else:
        already = domande.added_with(domanda_id, current_user, form.form_token.data) if item_id is None else None
    status = 409 if already and request.method == "POST" else _status(form, conflict, gone)
    return _page(section, f"domande/{section.elemento}.html", state, form, status, stored, conflict,
                 item_id=item_id, gone=gone, already=already, **extra)


def remove(domanda_id: int, sezione: str, item_id: str):
    """Remove an item of a list section, after a confirmation page (with or without JavaScript). An item someone
    changed after the page was opened is not removed: the page says what changed and asks again; one removed
    meanwhile (a double click) is said to be gone."""
    section = sezioni.BY_KEY[sezione]
    state = state_for(domanda_id, domande.EDIT)
    found = section.find(state.domanda, item_id)
    if found is None:
        if request.method == "POST":
            flash(_("This has already been removed."), "info")
            return redirect(_return_to(section, domanda_id), 303)
        raise domande.NotFound(item_id)
    name = section.item_title(found[1], found[0])
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
            return redirect(_return_to(section, domanda_id), 303)
    return render("domande/confirm.html", form=form, head=state.head, changed=changed,
                  changed_fields=_labelled(section, state, found[1], changed.changes) if changed else [],
                  title=_("Remove \u201c%(name)s\u201d?", name=name),
                  question=_("\u201c%(name)s\u201d will be removed from the application.", name=name),
                  citing=section.citing(state.domanda, item_id),
                  confirm=_("Yes, remove it"), back=_return_to(section, domanda_id), status=409 if changed else 200)


def _labelled(section: sezioni.Sezione, state: domande.State, item, changes: list[domande.FieldChange]):
    """(label of the field, value saved now, in words) of the changes someone made to an item."""
    form = SectionForm.of(section.chiave)(formdata=None)
    form.prepare(state.domanda, current_edition(), item)
    shown = []
    for change in changes:
        name = form.field_for(change.path)
        shown.append((form.label_for(name) if name else change.path, form.display(name, change.theirs)))
    return shown


def register_sections(bp: Blueprint) -> None:
    """The routes of every section of the registry."""
    for section in sezioni.SEZIONI:
        base = f"/<int:domanda_id>/{section.chiave}"
        defaults = {"sezione": section.chiave}
        if not section.is_list:
            bp.add_url_rule(base, section.chiave, single_section, defaults=defaults, methods=["GET", "POST"])
            continue
        on_the_list = getattr(SectionForm.of(section.chiave), "on_the_list", False)
        bp.add_url_rule(base, section.chiave, list_page, defaults=defaults,
                        methods=["GET", "POST"] if on_the_list else ["GET"])
        bp.add_url_rule(f"{base}/nuovo", section.elemento, item_page, defaults={**defaults, "item_id": None},
                        methods=["GET", "POST"])
        bp.add_url_rule(f"{base}/<item_id>", section.elemento, item_page, defaults=defaults, methods=["GET", "POST"])
    keys = ", ".join(section.chiave for section in sezioni.LISTS)
    bp.add_url_rule(f"/<int:domanda_id>/<any({keys}):sezione>/<item_id>/rimuovi", "remove", remove,
                    methods=["GET", "POST"])
