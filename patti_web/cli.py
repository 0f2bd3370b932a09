"""Command line: `flask --app wsgi patti check|import|export|export-docx|create-staff|remove-staff` (docs/contract.md)
and `flask translate`."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from patti_web import domande
from patti_web.avviso.domanda import (
    MAX_DOCUMENT_BYTES,
    DocumentError,
    Domanda,
    character_problem,
    read_document,
    write_document,
)
from patti_web.avviso.regole import check_application, has_errors
from patti_web.documenti import Identita, build_manifestazione_docx, pdf
from patti_web.i18n import TIMEZONE, TRANSLATIONS_DIR
from patti_web.i18n import gettext as _
from patti_web.persone import accounts
from patti_web.portal import current_edition
from patti_web.presentazione import firme
from patti_web.presentazione import operations as presentazione
from patti_web.web.persone.forms import invisible_in
from patti_web.web.security import external_url

EXIT_OK, EXIT_ERRORS, EXIT_UNREADABLE = 0, 1, 2

patti = AppGroup("patti", help="Check, import and export applications (patti-web/domanda@2; @1 files still read).")
translate = AppGroup("translate", help="Extract, update and compile the translation catalogue (pybabel).")


def _fail(message: str) -> None:
    click.echo(_("Error: %(message)s", message=message), err=True)
    sys.exit(EXIT_UNREADABLE)


def _read(path: str) -> Domanda:
    """Read a document file, or exit 2 with one Italian line."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_DOCUMENT_BYTES + 1)
    except FileNotFoundError:
        _fail(_("the file %(path)s does not exist.", path=path))
    except IsADirectoryError:
        _fail(_("%(path)s is a folder, not a file.", path=path))
    except OSError as exc:
        _fail(_("cannot read %(path)s (%(reason)s).", path=path, reason=exc.strerror or exc))
    try:
        return read_document(data)
    except DocumentError as exc:
        _fail(_("%(path)s is not a valid application: %(reason)s", path=path, reason=exc))


@patti.command("check")
@click.argument("file")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: one finding per line; json: a list of objects.")
def check_command(file: str, fmt: str) -> None:
    """Print the findings of FILE. Exit 0 with no error, 1 with errors, 2 if FILE cannot be read."""
    findings = check_application(_read(file), current_edition())
    if fmt == "json":
        click.echo(json.dumps([f.as_dict() for f in findings], ensure_ascii=False, indent=2))
    else:
        for finding in findings:
            click.echo(finding.as_line())
        errors = sum(f.severity == "error" for f in findings)
        click.echo(_("%(errors)s errors, %(warnings)s warnings.", errors=errors,
                     warnings=len(findings) - errors), err=True)
    sys.exit(EXIT_ERRORS if has_errors(findings) else EXIT_OK)


@patti.command("import")
@click.argument("file")
@click.option("--utente", "email", default=None,
              help="Email of the portal user who will own it (without it, the application is not shown on the web).")
def import_command(file: str, email: str | None) -> None:
    """Store the application in FILE in the database and print its id."""
    domanda = _read(file)
    try:
        owner = None
        if email:
            owner = accounts.get_user_by_email(email)
            if owner is None:
                _fail(_("there is no user with the email %(email)s.", email=email))
        head = domande.import_domanda(domanda, owner)
    except SQLAlchemyError as exc:
        _fail(_("the database refused the application (%(reason)s). Has it been created with "
                "\u201cflask --app wsgi db upgrade\u201d?", reason=type(exc).__name__))
    click.echo(_("Application imported with id %(id)s.", id=head.id))


@patti.command("export")
@click.argument("application_id", type=int)
@click.option("-o", "--output", required=True, help="The JSON file to write (- for standard output).")
def export_command(application_id: int, output: str) -> None:
    """Write the stored application APPLICATION_ID as a patti-web/domanda@2 JSON file."""
    try:
        text = write_document(domande.load(application_id, None).domanda)
    except domande.NotFound:
        _fail(_("there is no application with id %(id)s.", id=application_id))
    except SQLAlchemyError as exc:
        _fail(_("cannot read the database (%(reason)s).", reason=type(exc).__name__))
    if output == "-":
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(_("cannot write %(path)s (%(reason)s).", path=output, reason=exc.strerror or exc))
    click.echo(_("Application %(id)s written to %(path)s.", id=application_id, path=output))


@patti.command("export-docx")
@click.argument("file")
@click.option("-o", "--output", required=True, help="The file to write: .docx, or .pdf for PDF/A-2b (LibreOffice).")
@click.option("--data", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The document's date (YYYY-MM-DD); default today in Italy. The web download uses the day of "
                   "the application's last change.")
@click.option("--numero", type=click.IntRange(min=1), default=None,
              help="The application's number its pages print (the web download: the stored application's id).")
@click.option("--versione", type=click.IntRange(min=1), default=None,
              help="The version its pages print, with --numero (the web download: the stored version).")
def export_docx_command(file: str, output: str, day, numero: int | None, versione: int | None) -> None:
    """Write the manifestazione di interesse of FILE as DOCX or PDF; with the stored application's date, number and
    version, the same bytes as the web download. Every page prints the fingerprint of FILE's document."""
    domanda = _read(file)
    day = day.date() if day else datetime.now(ZoneInfo(TIMEZONE)).date()
    data = build_manifestazione_docx(domanda, current_edition(), day, Identita.of(domanda, numero, versione))
    if output.lower().endswith(".pdf"):
        try:
            data = pdf.convert_docx_to_pdf(data)
        except pdf.PdfUnavailable:
            _fail(_("the PDF cannot be produced here: LibreOffice (soffice) is not installed."))
        except pdf.PdfConversionError as exc:
            _fail(_("LibreOffice could not produce the PDF (%(reason)s).", reason=str(exc)[:200]))
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        _fail(_("cannot write %(path)s (%(reason)s).", path=output, reason=exc.strerror or exc))
    findings = check_application(domanda, current_edition())
    if has_errors(findings):
        click.echo(_("%(path)s written as a DRAFT: the application still has %(count)s errors.", path=output,
                     count=sum(f.severity == "error" for f in findings)), err=True)
    else:
        click.echo(_("%(path)s written.", path=output))


@patti.command("verifica-firma")
@click.argument("file")
@click.option("--domanda", "application_id", type=int, required=True, help="The application the file signs for.")
@click.option("--partner", "partner_id", default=None,
              help="The partner whose letter of adhesion it is (default: the act, the manifestazione).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
def verify_signature_command(file: str, application_id: int, partner_id: str | None, output_format: str) -> None:
    """Check a signed FILE (PAdES or CAdES) against the application's current version: the same checks as the
    upload page. Exit 0 when every check passes (or only the chain is left to the office), 1 when one fails, 2 when
    the file cannot be read or is not a signed file."""
    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        _fail(_("cannot read %(path)s (%(reason)s).", path=file, reason=exc.strerror or exc))
    if partner_id is not None and not partner_id.strip():
        _fail(_("--partner needs the id of a partner (as in the application, e.g. p1)."))
    try:
        state = domande.load(application_id, None)
    except domande.NotFound:
        _fail(_("there is no application with id %(id)s.", id=application_id))
    try:
        document = presentazione.document_of(state, f"{presentazione.LETTER}{partner_id}" if partner_id
                                             else presentazione.ACT)
        expected = presentazione.expected(state, document)
    except presentazione.Refused as refused:
        _fail(str(refused))
    outcome = firme.verify(data, expected, presentazione.trust_roots())
    if output_format == "json":
        click.echo(json.dumps({"file": file, "domanda": application_id, "documento": document.key,
                               "versione": state.versione, **outcome.as_dict()}, ensure_ascii=False, indent=2))
    else:
        marks = {firme.OK: "✓", firme.FAILED: "✗", firme.TO_CHECK: "?"}
        click.echo(_("%(file)s for %(document)s, version %(v)s:", file=file, document=document.label,
                     v=state.versione))
        for check in outcome.checks:
            click.echo(f"  {marks[check.outcome]} {check.message}")
        click.echo(_("Outcome: %(state)s.", state=outcome.state))
    if outcome.format is None:
        sys.exit(EXIT_UNREADABLE)
    sys.exit(1 if outcome.state == firme.REFUSED else 0)


@patti.command("create-staff")
@click.argument("email")
@click.option("--nome", default="", help="Name of a new staff account (default: the address).")
def create_staff_command(email: str, nome: str) -> None:
    """Make EMAIL staff (read-only access to every application); create the account if there is none.

    A new account gets no usable password: the command prints a link (valid for PASSWORD_RESET_MAX_AGE seconds)
    where its owner chooses one. Staff cannot be made from the web.
    """
    email = accounts.normalise_email(email)
    if not email or "@" not in email:
        _fail(_("“%(email)s” is not an email address.", email=email))
    if nome and (character_problem(nome) or invisible_in(nome) or any(c in nome for c in "\t\r\n")):
        _fail(_("The name must be one line of text, without control characters."))
    try:
        user, created = accounts.make_staff(email, nome)
    except accounts.HasApplications as error:
        _fail(_("“%(email)s” owns or works on %(count)s applications: staff may hold no role on an application. "
                "Hand them over, leave them or delete them first, then make it staff.", email=email,
                count=error.count))
    click.echo(_("%(email)s is staff: it reads every application and its documents, and changes none.", email=email))
    if created:
        with current_app.test_request_context():
            link = external_url("auth.reset_password", token=accounts.make_reset_token(user))
        click.echo(_("Account created. To choose its password, open: %(link)s", link=link))


@patti.command("remove-staff")
@click.argument("email")
def remove_staff_command(email: str) -> None:
    """Take staff access away from EMAIL (the account stays, with only its own applications)."""
    user = accounts.remove_staff(email)
    if user is None:
        _fail(_("“%(email)s” is not staff.", email=accounts.normalise_email(email)))
    click.echo(_("%(email)s is no longer staff.", email=user.email))


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True)


POT = str(TRANSLATIONS_DIR / "messages.pot")
ROOT = TRANSLATIONS_DIR.parent


@translate.command("extract")
def extract_command() -> None:
    """Extract the strings of patti_web/ and templates/ into translations/messages.pot."""
    _pybabel("extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "N_", "--no-location",
             "--sort-output", "-o", POT, str(ROOT))


@translate.command("update")
def update_command() -> None:
    """Extract, then merge the new strings into every catalogue."""
    extract_command.callback()
    _pybabel("update", "-i", POT, "-d", str(TRANSLATIONS_DIR), "--no-fuzzy-matching")


@translate.command("compile")
def compile_command() -> None:
    """Compile every catalogue (.po -> .mo)."""
    _pybabel("compile", "-d", str(TRANSLATIONS_DIR), "--statistics")


def register_cli(app: Flask) -> None:
    app.cli.add_command(patti)
    app.cli.add_command(translate)
