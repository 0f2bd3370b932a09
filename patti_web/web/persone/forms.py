"""Forms of people: register, log in, ask for a reset link, choose a new password; invite someone to an application,
change a member's role. Shape checks only."""

from __future__ import annotations

import re
import unicodedata

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from patti_web.avviso.domanda import character_problem
from patti_web.i18n import gettext
from patti_web.i18n import lazy_gettext as _l
from patti_web.persone.accounts import password_problem
from patti_web.web.forms import strip

EMAIL_MAX = 254
NOME_MAX = 200
PASSWORD_MIN = 10
PASSWORD_MAX = 128
LINE_BREAKS = re.compile("[\t\n\r\x85\u2028\u2029]")


def _scripts(text: str) -> set[str]:
    """The writing systems of a text's letters (LATIN, CYRILLIC, GREEK...: the first word of their Unicode name)."""
    return {unicodedata.name(c, "?").split()[0] for c in text if c.isalpha()}


def mixes_scripts(address: str) -> bool:
    """True for an address that mixes writing systems where a reader cannot see it: within the part before the @ or
    within one label of the domain, or between the labels of the domain ("exаmple.it" with a Cyrillic а, "example.іt"
    with a Ukrainian і). A name in one script at a domain in another ("иван@example.it") is not mixed."""
    local, _at, domain = address.rpartition("@")
    labels = [local, *domain.split(".")]
    return any(len(_scripts(label)) > 1 for label in labels) or len(_scripts(domain)) > 1


class EmailAddress(Email):
    """An address mail reaches as written (email-validator: no groups, lists, brackets or bare host names), in one
    writing system (an address with a Cyrillic а among Latin letters looks like another one on every page)."""

    def __call__(self, form, field):
        super().__call__(form, field)
        if isinstance(field.data, str) and mixes_scripts(field.data):
            raise ValidationError(_l("The address mixes letters of different alphabets (for example a Cyrillic "
                                     "“a” among Latin letters), so it looks like another address: type it "
                                     "again with the letters of one alphabet"))


def email_address() -> Email:
    """An address mail reaches as written, in one writing system."""
    return EmailAddress(message=_l("Enter an email address in the right format, like name@example.com"),
                        check_deliverability=False)


# Characters a name never holds, whatever its script: controls (C0 and C1), format characters (zero-width spaces and
# joiners, direction marks and overrides, tags), private use, unassigned code points, surrogates, and the Hangul
# fillers, which show as nothing.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0")
_STACKED_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]{3,}")


def invisible_in(text: str) -> str | None:
    """The first character of `text` a reader cannot see (as U+XXXX), or None."""
    for char in text:
        if unicodedata.category(char) in _INVISIBLE_CATEGORIES or char in _FILLERS:
            return f"U+{ord(char):04X}"
    return None


class PlainName:
    """A person's name as it is written: on one line, with at least one letter, without control or invisible
    characters (zero-width, direction marks and overrides), stacks of accents, or emoji. A name reaches mails, the
    people page and the activity."""

    def __call__(self, form, field):
        if not isinstance(field.data, str):
            return
        if LINE_BREAKS.search(field.data):
            raise ValidationError(_l("Write the name on one line, without line breaks or tabs"))
        invisible = invisible_in(field.data)
        if invisible is not None:
            raise ValidationError(_l("The name holds an invisible or control character (%(code)s): remove it",
                                     code=invisible))
        wrong = character_problem(field.data) or (
            gettext("accents are stacked on one letter.") if _STACKED_MARKS.search(field.data) else None)
        if wrong is not None:
            raise ValidationError(_l("The name: %(problem)s", problem=wrong))
        if not any(char.isalpha() for char in field.data):
            raise ValidationError(_l("The name must hold at least one letter"))


def _email_field() -> EmailField:
    return EmailField(_l("Email address"), filters=[strip], validators=[
        DataRequired(_l("Enter your email address")),
        Length(max=EMAIL_MAX, message=_l("The email address must be %(max)s characters or fewer")),
        email_address(),
    ])


def _new_password_fields() -> tuple[PasswordField, PasswordField]:
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter a password")),
        Length(min=PASSWORD_MIN, max=PASSWORD_MAX,
               message=_l("The password must be between %(min)s and %(max)s characters long")),
    ])
    confirmation = PasswordField(_l("Confirm the password"), validators=[
        DataRequired(_l("Type the password again")),
        Length(max=PASSWORD_MAX, message=_l("The password must be %(max)s characters or fewer")),
        EqualTo("password", message=_l("The two passwords do not match")),
    ])
    return password, confirmation


class NewPasswordMixin:
    """A new password that is not common nor easy to guess, also from the person's own name and address."""

    related: tuple[str, ...] = ()

    def validate_password(self, field):
        mine = (*self.related, *(getattr(self, name).data or "" for name in ("email", "nome") if hasattr(self, name)))
        if field.data and password_problem(field.data, *mine):
            raise ValidationError(_l("The password is too common or easy to guess: choose a longer one, for example "
                                     "three or four unrelated words"))


class RegisterForm(NewPasswordMixin, FlaskForm):
    nome = StringField(_l("Full name"), filters=[strip], validators=[
        DataRequired(_l("Enter your name")),
        Length(max=NOME_MAX, message=_l("The name must be %(max)s characters or fewer")),
        PlainName(),
    ])
    email = _email_field()
    password, password_conferma = _new_password_fields()


class LoginForm(FlaskForm):
    email = EmailField(_l("Email address"), filters=[strip], validators=[
        DataRequired(_l("Enter your email address")),
        Length(max=EMAIL_MAX, message=_l("The email address must be %(max)s characters or fewer")),
    ])
    # No minimum here: the rules for new passwords may change, and a wrong password gets the generic answer.
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password")),
        Length(max=PASSWORD_MAX, message=_l("The password must be %(max)s characters or fewer")),
    ])


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class LoginLinkForm(FlaskForm):
    """Ask for a login link by mail (when wrong passwords typed by someone else limit the address)."""

    email = _email_field()


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    password, password_conferma = _new_password_fields()


class ConfirmForm(FlaskForm):
    """The confirmation link's page: the password chosen at registration proves whose account is confirmed."""

    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter the password you chose when registering")),
        Length(max=PASSWORD_MAX, message=_l("The password must be %(max)s characters or fewer")),
    ])


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    attuale = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Enter your current password")),
        Length(max=PASSWORD_MAX, message=_l("The current password must be %(max)s characters or fewer")),
    ])
    password, password_conferma = _new_password_fields()


def _role_choices():
    return [SelectChoice("collaboratore", _l("Collaborator: edits the content")),
            SelectChoice("lettore", _l("Reader: reads and downloads the documents"))]


class InviteForm(FlaskForm):
    email = EmailField(_l("Email address of the person to invite"), filters=[strip], validators=[
        DataRequired(_l("Enter the email address of the person to invite")),
        Length(max=EMAIL_MAX, message=_l("The email address must be %(max)s characters or fewer")),
        email_address(),
    ])
    ruolo = RadioField(_l("Role"), choices=_role_choices(), default="collaboratore",
                       validators=[DataRequired(_l("Choose the role of the person to invite"))],
                       validate_choice=False)

    def validate_ruolo(self, field):
        if field.data not in ("collaboratore", "lettore"):
            raise ValidationError(_l("Choose the role of the person to invite among those listed"))


class RoleForm(FlaskForm):
    ruolo = RadioField(_l("Role"), choices=_role_choices(), validate_choice=False)
