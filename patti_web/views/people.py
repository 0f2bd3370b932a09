"""Who works on an application: the people page (roles, invitations, hand-over), accepting an invitation, and the
activity page (who changed what, when). Plain forms; every change is a POST with its CSRF token."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from patti_web import people, services
from patti_web.extensions import db, limiter
from patti_web.forms.applications import EmptyForm, label_of_path
from patti_web.forms.people import InviteForm, RoleForm
from patti_web.i18n import gettext as _
from patti_web.mail import send_mail
from patti_web.models import User
from patti_web.security import external_url
from patti_web.templating import role_name

bp = Blueprint("people", __name__)
log = logging.getLogger(__name__)


def _head(application_id: int, allowed=services.READ) -> services.Head:
    """The application's columns; services.NotFound and Forbidden become a 404 and a 403 (patti_web.errors)."""
    return services.get_head(application_id, current_user, allowed)


def _page(application_id: int, invite_form: InviteForm | None = None, status: int = 200):
    head, members, pending = people.people(application_id, current_user)
    return render_template("applications/people.html", application=head, members=members, pending=pending,
                           invite_form=invite_form or InviteForm(formdata=None), action_form=EmptyForm(),
                           role_form=RoleForm(formdata=None)), status


@bp.get("/domande/<int:application_id>/persone")
@login_required
def people_page(application_id: int):
    return _page(application_id)


def _user_key() -> str:
    return f"user-{current_user.id}" if current_user.is_authenticated else (request.remote_addr or "")


@bp.post("/domande/<int:application_id>/persone/invita")
@login_required
@limiter.limit("20/hour", key_func=_user_key)
def invite(application_id: int):
    head = _head(application_id, services.MANAGE)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitation, token = people.invite(application_id, current_user, form.email.data, form.ruolo.data)
        except people.InvitationError:
            form.email.errors.append(_("This person already works on the application"))
        else:
            link = external_url("people.accept", token=token)
            send_mail(invitation.email, _("Invitation to a Patti Web application"), _(
                "Hello,\n\n%(who)s invites you to work on the application \u201c%(title)s\u201d on Patti Web, as "
                "%(role)s. To accept, open this link within 7 days (it works once):\n\n%(link)s\n\nYou will log in, "
                "or create an account with this address. If you do not expect it, ignore this message.\n",
                who=current_user.nome, title=head.titolo, role=role_name(invitation.ruolo).lower(), link=link))
            flash(_("Invitation sent to %(email)s.", email=invitation.email), "success")
            return redirect(url_for("people.people_page", application_id=application_id), 303)
    return _page(application_id, form, 422)


def _done(application_id: int, message: str):
    flash(message, "success")
    return redirect(url_for("people.people_page", application_id=application_id), 303)


def _posted() -> None:
    if not EmptyForm().validate():
        abort(400)


@bp.post("/domande/<int:application_id>/persone/inviti/<int:invitation_id>/revoca")
@login_required
def revoke(application_id: int, invitation_id: int):
    _posted()
    people.revoke(application_id, current_user, invitation_id)
    return _done(application_id, _("Invitation revoked: its link no longer works."))


@bp.post("/domande/<int:application_id>/persone/<int:user_id>/ruolo")
@login_required
def change_role(application_id: int, user_id: int):
    _head(application_id, services.MANAGE)  # who may not gets a 404 or a 403 whatever the form says
    form = RoleForm()
    if not form.validate() or form.ruolo.data not in services.MEMBER_ROLES:
        abort(400)
    people.change_role(application_id, current_user, user_id, form.ruolo.data)
    return _done(application_id, _("Role changed."))


@bp.post("/domande/<int:application_id>/persone/<int:user_id>/rimuovi")
@login_required
def remove(application_id: int, user_id: int):
    _posted()
    people.remove(application_id, current_user, user_id)
    if user_id == current_user.id:
        flash(_("You no longer work on that application."), "success")
        return redirect(url_for("applications.index"), 303)
    return _done(application_id, _("The person no longer works on the application."))


@bp.post("/domande/<int:application_id>/persone/<int:user_id>/titolare")
@login_required
def hand_over(application_id: int, user_id: int):
    _posted()
    people.hand_over(application_id, current_user, user_id)
    return _done(application_id, _("The application has a new owner; you stay on as a collaborator."))


# Accepting an invitation -----------------------------------------------------------------------------------------


def _invalid_invitation():
    body = render_template("auth/link_invalid.html", title=_("This invitation does not work"),
                           message=_("The link is wrong, more than 7 days old, already used, or the invitation was "
                                     "revoked. Ask whoever invited you to send a new one."))
    return body, 400, {"Referrer-Policy": "no-referrer"}


@bp.route("/invito/<token>", methods=["GET", "POST"])
@limiter.limit("30/hour", methods=["POST"])
def accept(token: str):
    """An invitation's link: who invites to what, and (logged in with the invited address) a button to accept."""
    invitation = people.invitation_of(token)
    if invitation is None:
        return _invalid_invitation()
    form = EmptyForm()
    wrong_account = current_user.is_authenticated and current_user.email != invitation.email
    if request.method == "POST" and current_user.is_authenticated and not wrong_account and form.validate():
        try:
            application_id = people.accept(invitation, db.session.get(User, current_user.id))
        except (services.NotFound, people.InvitationError):
            return _invalid_invitation()
        flash(_("You now work on this application as %(role)s.", role=role_name(invitation.ruolo).lower()),
              "success")
        return redirect(url_for("applications.tasks", application_id=application_id), 303)
    body = render_template("applications/invitation.html", invitation=invitation, token=token, form=form,
                           title=people.application_title(invitation), inviter=people.inviter_name(invitation),
                           wrong_account=wrong_account)
    return body, 200, {"Referrer-Policy": "no-referrer"}


# Activity --------------------------------------------------------------------------------------------------------


def _in_words(change: people.Change) -> str:
    """What a save changed, in a sentence."""
    sections = {"capofila": _("Lead partner"), "partenariato": _("Partnership"), "territorio": _("Territory"),
                "settori": _("Sectors and supply chains"), "fabbisogni": _("Skills needs"),
                "interventi": _("Interventions"), "documento": _("Application")}
    where = sections.get(change.sezione, change.sezione)
    name = ""
    if change.value:
        name = change.value.get("denominazione") or change.value.get("titolo") or change.value.get("descrizione")
    if change.azione == "creazione":
        return _("Created the application.")
    if change.azione == "importazione":
        return _("Imported the application from a file.")
    if change.azione == "duplicazione":
        return _("Created the application as a copy of another.")
    if change.azione == "aggiunta":
        return _("%(where)s: added \u201c%(name)s\u201d.", where=where, name=(name or change.elemento)[:120])
    if change.azione == "rimozione":
        return _("%(where)s: removed %(item)s.", where=where, item=change.elemento)
    labels = [label for label in dict.fromkeys(label_of_path(p) for p in change.paths) if label]
    if labels:
        return _("%(where)s, fields changed: %(fields)s.", where=where, fields=", ".join(labels))
    return _("%(where)s: changed.", where=where)


@bp.get("/domande/<int:application_id>/attivita")
@login_required
def activity(application_id: int):
    """Who changed which section, when (Italian time), and what, newest first. Revisions are never changed."""
    head, changes = people.activity(application_id, current_user)
    rows = [(c, _in_words(c)) for c in changes]
    return render_template("applications/activity.html", application=head, rows=rows,
                           shown=people.ACTIVITY_SHOWN)
