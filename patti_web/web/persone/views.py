"""Who works on an application: the people page (roles, invitations, hand-over), accepting an invitation, and the
activity page (who changed what, when). Plain forms; every change is a POST with its CSRF token."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from patti_web import domande
from patti_web.avviso import sezioni
from patti_web.extensions import limiter
from patti_web.i18n import gettext as _
from patti_web.persone import inviti
from patti_web.persone.mail import send_mail
from patti_web.web.domande.forms import label_of_path
from patti_web.web.forms import EmptyForm
from patti_web.web.persone.forms import InviteForm, RoleForm
from patti_web.web.security import external_url
from patti_web.web.templating import role_name

bp = Blueprint("persone", __name__)
log = logging.getLogger(__name__)


def _head(domanda_id: int, allowed=domande.READ) -> domande.Head:
    """The application's columns; domande.NotFound and Forbidden become a 404 and a 403 (patti_web.web.errors)."""
    return domande.get_head(domanda_id, current_user, allowed)


def _page(domanda_id: int, invite_form: InviteForm | None = None, status: int = 200):
    head, members, pending = inviti.people(domanda_id, current_user)
    return render_template("persone/persone.html", head=head, members=members, pending=pending,
                           invite_form=invite_form or InviteForm(formdata=None), action_form=EmptyForm(),
                           role_form=RoleForm(formdata=None)), status


@bp.get("/domande/<int:domanda_id>/persone")
@login_required
def people(domanda_id: int):
    return _page(domanda_id)


def _user_key() -> str:
    return f"user-{current_user.id}" if current_user.is_authenticated else (request.remote_addr or "")


@bp.post("/domande/<int:domanda_id>/persone/invita")
@login_required
@limiter.limit("20/hour", key_func=_user_key)
def invite(domanda_id: int):
    head = _head(domanda_id, domande.MANAGE)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitation, token = inviti.invite(domanda_id, current_user, form.email.data, form.ruolo.data)
        except inviti.AlreadyMember:
            form.email.errors.append(_("This person already works on the application"))
        except inviti.StaffAccount:
            form.email.errors.append(_("This address belongs to the office's staff, who read every application "
                                       "without being invited and may not be given a role on one"))
        else:
            link = external_url("persone.accept", token=token)
            sent = send_mail(invitation.email, _("Invitation to a Patti Web application"), _(
                "Hello,\n\n%(who)s invites you to work on the application \u201c%(title)s\u201d on Patti Web, as "
                "%(role)s. To accept, open this link within 7 days (it works once):\n\n%(link)s\n\nYou will log in, "
                "or create an account with this address. If you do not expect it, ignore this message.\n",
                who=current_user.nome, title=head.titolo, role=role_name(invitation.ruolo).lower(), link=link))
            if sent:
                flash(_("Invitation sent to %(email)s.", email=invitation.email), "success")
            else:
                flash(_("The invitation to %(email)s is recorded, but that address has received many mails from "
                        "Patti Web in the last hour and this one was not sent: invite them again later (the new "
                        "link replaces this one).", email=invitation.email), "info")
            return redirect(url_for("persone.people", domanda_id=domanda_id), 303)
    return _page(domanda_id, form, 422)


def _done(domanda_id: int, message: str):
    flash(message, "success")
    return redirect(url_for("persone.people", domanda_id=domanda_id), 303)


def _posted() -> None:
    if not EmptyForm().validate():
        abort(400)


@bp.post("/domande/<int:domanda_id>/persone/inviti/<int:invitation_id>/revoca")
@login_required
def revoke(domanda_id: int, invitation_id: int):
    _posted()
    inviti.revoke(domanda_id, current_user, invitation_id)
    return _done(domanda_id, _("Invitation revoked: its link no longer works."))


@bp.post("/domande/<int:domanda_id>/persone/<int:user_id>/ruolo")
@login_required
def change_role(domanda_id: int, user_id: int):
    _head(domanda_id, domande.MANAGE)  # who may not gets a 404 or a 403 whatever the form says
    form = RoleForm()
    if not form.validate() or form.ruolo.data not in domande.MEMBER_ROLES:
        abort(400)
    inviti.change_role(domanda_id, current_user, user_id, form.ruolo.data)
    return _done(domanda_id, _("Role changed."))


@bp.post("/domande/<int:domanda_id>/persone/<int:user_id>/rimuovi")
@login_required
def remove(domanda_id: int, user_id: int):
    _posted()
    inviti.remove(domanda_id, current_user, user_id)
    if user_id == current_user.id:
        flash(_("You no longer work on that application."), "success")
        return redirect(url_for("domande.index"), 303)
    return _done(domanda_id, _("The person no longer works on the application."))


@bp.post("/domande/<int:domanda_id>/persone/<int:user_id>/titolare")
@login_required
def hand_over(domanda_id: int, user_id: int):
    _posted()
    try:
        inviti.hand_over(domanda_id, current_user, user_id)
    except inviti.OwnerChanged:
        flash(_("Nothing changed: meanwhile the application was handed over to someone else, and you are no longer "
                "its owner."), "error")
        return _page(domanda_id, status=409)
    except inviti.StaffAccount:
        flash(_("Nothing changed: that account belongs to the office's staff, who may not own an application."),
              "error")
        return _page(domanda_id, status=409)
    return _done(domanda_id, _("The application has a new owner; you stay on as a collaborator."))


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
    invitation = inviti.invitation_of(token)
    if invitation is None:
        return _invalid_invitation()
    form = EmptyForm()
    wrong_account = current_user.is_authenticated and current_user.email != invitation.email
    if request.method == "POST" and current_user.is_authenticated and not wrong_account and form.validate():
        try:
            domanda_id = inviti.accept(invitation, current_user)
        except inviti.StaffAccount:
            body = render_template("auth/link_invalid.html", title=_("This invitation does not work"),
                                   message=_("Your account belongs to the office's staff: it reads every application "
                                             "without an invitation, and may not be given a role on one."))
            return body, 403, {"Referrer-Policy": "no-referrer"}
        except (domande.NotFound, inviti.InvitationError):
            return _invalid_invitation()
        flash(_("You now work on this application as %(role)s.", role=role_name(invitation.ruolo).lower()),
              "success")
        return redirect(url_for("domande.tasks", domanda_id=domanda_id), 303)
    body = render_template("persone/invito.html", invitation=invitation, token=token, form=form,
                           title=inviti.application_title(invitation), inviter=inviti.inviter_name(invitation),
                           wrong_account=wrong_account)
    return body, 200, {"Referrer-Policy": "no-referrer"}


# Activity --------------------------------------------------------------------------------------------------------


def _in_words(change: domande.Change) -> str:
    """What a save changed, in a sentence."""
    part = sezioni.BY_KEY.get(change.sezione)
    where = part.label if part is not None else _("Application") if change.sezione == "documento" else change.sezione
    if change.azione == "creazione":
        return _("Created the application.")
    if change.azione == "importazione":
        return _("Imported the application from a file.")
    if change.azione == "duplicazione":
        return _("Created the application as a copy of another.")
    if change.azione == "ritiro":
        return _("Withdrew the submitted application: it can be changed again, and its signed files are to be "
                 "signed again.")
    if change.azione in ("aggiunta", "rimozione"):
        name = change.elemento
        if part is not None and part.is_list and change.value is not None:
            try:
                name = part.item_title(part.item_model.model_validate(change.value), change.index)
            except ValueError:  # an item of an older shape: its id says which
                pass
        message = _("%(where)s: added \u201c%(name)s\u201d.") if change.azione == "aggiunta" else _(
            "%(where)s: removed \u201c%(name)s\u201d.")
        return message % {"where": where, "name": name[:120]}
    labels = [label for label in dict.fromkeys(label_of_path(p) for p in change.paths) if label]
    if labels:
        return _("%(where)s, fields changed: %(fields)s.", where=where, fields=", ".join(labels))
    return _("%(where)s: changed.", where=where)


@bp.get("/domande/<int:domanda_id>/attivita")
@login_required
def activity(domanda_id: int):
    """Who changed which section, when (Italian time), and what, newest first. Revisions are never changed."""
    head, changes = domande.activity(domanda_id, current_user)
    rows = [(c, _in_words(c)) for c in changes]
    return render_template("domande/activity.html", head=head, rows=rows, shown=domande.ACTIVITY_SHOWN)
