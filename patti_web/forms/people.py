"""Forms of the people page: invite someone, change a member's role. Shape checks only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from patti_web.forms.auth import EMAIL_MAX, email_address


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _role_choices():
    return [SelectChoice("collaboratore", _l("Collaborator: edits the content")),
            SelectChoice("lettore", _l("Reader: reads and downloads the documents"))]


class InviteForm(FlaskForm):
    email = EmailField(_l("Email address of the person to invite"), filters=[_strip], validators=[
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
