"""Forms of people: register, log in, ask for a reset link, choose a new password; invite someone to an application,
change a member's role. Shape checks only."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from patti_web.i18n import lazy_gettext as _l
from patti_web.persone.accounts import password_problem
from patti_web.web.forms import strip

EMAIL_MAX = 254
NOME_MAX = 200
PASSWORD_MIN = 10
PASSWORD_MAX = 128


def email_address() -> Email:
    """An address mail reaches as written (email-validator: no groups, lists, brackets or bare host names)."""
    return Email(message=_l("Enter an email address in the right format, like name@example.com"),
                 check_deliverability=False)


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
