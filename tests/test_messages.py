"""A scan of every template, form and the catalogue: no user-visible text outside the catalogue, no WTForms message
of its own (English, and nameless) that could reach a user, and every error raised by a form naming its field."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest
import wtforms
from babel.messages.pofile import read_po
from wtforms import validators as wtv

from patti_web import i18n
from patti_web.web import forms as shared_forms
from patti_web.web.domande import forms as app_forms
from patti_web.web.persone import forms as auth_forms

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
APPLICATION_FORMS = ROOT / "patti_web" / "web" / "domande" / "forms.py"
WEB = ROOT / "patti_web" / "web"
FORMS = [APPLICATION_FORMS, WEB / "persone" / "forms.py", WEB / "forms.py"]
# Text that is not language: punctuation, symbols, numbers, the product's name, a format (DOCX, PDF/A).
NOT_WORDS = re.compile(r"^[\W\d_]*$|^Patti Web$|^[A-Z]{2,5}(/[A-Z])?$")


def visible_text(template: str) -> list[str]:
    """What a template shows that is written in it, not computed: text between tags and in the attributes people
    read (title, placeholder, alt, aria-label, value of a button), with every Jinja tag, expression and comment
    taken out."""
    src = re.sub(r"{#.*?#}", "", template, flags=re.S)
    src = re.sub(r"<(script|style)\b.*?</\1>", "", src, flags=re.S)
    src = re.sub(r"{%.*?%}|{{.*?}}", "\0", src, flags=re.S)
    found = []
    for attribute in re.findall(r'\b(?:title|placeholder|alt|aria-label)="([^"]*)"', src):
        found.append(attribute)
    text = re.sub(r"<!--.*?-->", "", src, flags=re.S)
    text = re.sub(r"<[^>]*>", "\0", text)
    found.extend(text.split("\0"))
    return [t.strip() for t in found if t.strip() and not NOT_WORDS.match(t.strip().replace("&nbsp;", ""))]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.relative_to(ROOT / "templates").as_posix())
def test_a_template_writes_no_text_outside_the_catalogue(path):
    assert visible_text(path.read_text(encoding="utf-8")) == []


def test_the_scan_would_see_untranslated_text():
    assert visible_text('<p title="Salva">Modifiche salvate {{ n }}</p>{# nota #}') == ["Salva", "Modifiche salvate"]
    assert visible_text('<p>{{ _("Saved") }}</p><span aria-hidden="true">\u2192</span>') == []


def _form_classes():
    for module in (shared_forms, app_forms, auth_forms):
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, wtforms.Form) and cls.__module__ == module.__name__:
                yield cls


def _unbound_fields(cls):
    for name in dir(cls):
        value = getattr(cls, name, None)
        if isinstance(value, wtforms.fields.core.UnboundField):
            yield name, value


def test_no_wtforms_message_of_its_own_can_reach_a_user():
    """Every WTForms validator we use carries our message; fields that parse (numbers, choices) say it in ours."""
    checked = 0
    for cls in _form_classes():
        for name, unbound in _unbound_fields(cls):
            validators = unbound.kwargs.get("validators") or next(
                (a for a in unbound.args if isinstance(a, list | tuple)), [])
            for validator in validators:
                if type(validator).__module__ == wtv.__name__:
                    assert getattr(validator, "message", None), f"{cls.__name__}.{name}: {type(validator).__name__}"
                    checked += 1
            field_class = unbound.field_class
            if issubclass(field_class, wtforms.IntegerField | wtforms.DecimalField | wtforms.DateField):
                assert "process_formdata" in vars(field_class), f"{cls.__name__}.{name}: WTForms' own parse message"
            if issubclass(field_class, wtforms.SelectFieldBase):
                overridden = any("pre_validate" in vars(k) for k in field_class.__mro__
                                 if k.__module__ != "wtforms.fields.choices")
                assert unbound.kwargs.get("validate_choice") is False or overridden or (
                    field_class.__init__ is not wtforms.RadioField.__init__), f"{cls.__name__}.{name}"
    assert checked >= 10


def _raised_messages(path: Path):
    """Each `raise FieldError(...)`, `ValueError(...)`, `StopValidation(...)` in a form module, with its argument."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            name = getattr(node.exc.func, "id", getattr(node.exc.func, "attr", ""))
            if name in ("FieldError", "ValueError", "StopValidation", "ValidationError"):
                yield path, node.lineno, node.exc.args[0] if node.exc.args else None


def test_every_error_a_form_raises_names_its_field():
    """The application forms say "<label>: what to do" through problem(field, ...); the account and people forms
    say it in the GOV.UK way, the field's own words in the sentence ("The password is too common...")."""
    raised = [r for path in FORMS for r in _raised_messages(path)]
    assert len(raised) >= 10
    for file, line, message in raised:
        called = getattr(getattr(message, "func", None), "id", None)
        if file == APPLICATION_FORMS:
            assert called == "problem", f"{file}:{line}: an error that does not go through problem(field, ...)"
        else:
            text = message.args[0].value.lower() if called == "_l" else ""
            tree = ast.parse(file.read_text())
            method = next(n for n in ast.walk(tree)
                          if isinstance(n, ast.FunctionDef) and n.lineno <= line <= n.end_lineno)
            field = method.name.removeprefix("validate_")
            if field == "__call__":  # a validator class (PlainName, EmailAddress): the last word of its name
                owner = next(n for n in ast.walk(tree)
                             if isinstance(n, ast.ClassDef) and n.lineno <= line <= n.end_lineno)
                field = re.findall(r"[A-Z][a-z]+", owner.name)[-1].lower()
            assert field in text or field.replace("ruolo", "role") in text, f"{file}:{line}: {text!r}"


def test_the_account_forms_messages_name_their_field():
    """GOV.UK style: "Enter your email address", "The password must be ...": the field's own words are there."""
    for cls in (auth_forms.RegisterForm, auth_forms.LoginForm, auth_forms.ForgotPasswordForm,
                auth_forms.ResetPasswordForm):
        for name, unbound in _unbound_fields(cls):
            label = str(unbound.args[0]).lower()
            for validator in unbound.kwargs.get("validators", []):
                if getattr(validator, "message", None) is None:
                    continue  # a validator class with several messages (PlainName): checked by the test above
                message = str(validator.message).lower()
                assert any(w in message for w in re.findall(r"[a-z]{4,}", label)), (cls.__name__, name, message)


def test_the_catalogue_has_no_generic_message_that_names_no_field():
    with (i18n.TRANSLATIONS_DIR / "it" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="it")
    generic = re.compile(r"^(Compilare questo campo|Campo obbligatorio|Valore non valido|Scelta non valida|"
                         r"This field is required|Not a valid|Invalid)\b", re.I)
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert not any(generic.match(s or "") and ":" not in s for s in strings), message.id
