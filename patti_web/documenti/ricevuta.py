"""The receipt of a submission, as a Word document built in code (no Flask, no database): the same receipt always
gives the same bytes, like the act. Its PDF is made as the act's is (patti_web.documenti.pdf).

What it states: number, date and time of the submission (Italian time, to the second), the applicant, the Patto,
the office that receives it, the fingerprint of the version, each signed file with its SHA-256 and signer, the stamp
when one was due, and what happens next (the edition's data).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from patti_web.documenti import clean, stable_docx
from patti_web.i18n import format_datetime
from patti_web.i18n import gettext as _

FONT = "Arial"  # Liberation Sans on the server, metric-compatible
BLUE = RGBColor(0x0B, 0x3D, 0x6E)


@dataclass(frozen=True)
class SignedFile:
    document: str
    name: str
    sha256: str
    signer_cf: str
    signer_name: str
    outcome: str


@dataclass(frozen=True)
class Receipt:
    numero: str
    presentata_at: datetime  # aware, or naive UTC
    domanda_id: int
    titolo: str
    capofila: str
    capofila_cf: str
    presentata_da: str
    ente: str
    avviso: str
    ufficio: tuple[str, ...]
    versione: int
    impronta: str
    files: tuple[SignedFile, ...]
    bollo: str = ""
    bollo_data: str = ""
    dopo: tuple[str, ...] = ()


def _font(run, *, size: float = 10, bold: bool = False, color: RGBColor | None = None, mono: bool = False) -> None:
    run.font.name = "Liberation Mono" if mono else FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color


def _paragraph(document, text: str, **style) -> None:
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.space_after = Pt(4)
    _font(paragraph.add_run(clean(text)), **style)


def _table(document, rows: list[tuple[str, str]], *, mono: frozenset[int] = frozenset()) -> None:
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.autofit = False
    for column, width in zip(table.columns, (Cm(5), Cm(12)), strict=True):
        column.width = width
    for index, (label, value) in enumerate(rows):
        cells = table.add_row().cells
        cells[0].width, cells[1].width = Cm(5), Cm(12)
        _font(cells[0].paragraphs[0].add_run(label), bold=True, size=9)
        _font(cells[1].paragraphs[0].add_run(clean(value)), size=8 if index in mono else 9, mono=index in mono)
        row_properties = table.rows[-1]._tr.get_or_add_trPr()
        cant_split = OxmlElement("w:cantSplit")
        row_properties.append(cant_split)
    document.add_paragraph()


def _page_numbers(section, numero: str) -> None:
    """The footer of every page: the number of the submission and "Pagina n di m"."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run(_("Receipt %(number)s \u2014 page ", number=numero)), size=8)
    _field(paragraph, "PAGE")
    _font(paragraph.add_run(_(" of ")), size=8)
    _field(paragraph, "NUMPAGES")


def _field(paragraph, name: str) -> None:
    """A Word field (PAGE, NUMPAGES), each of its parts in a run of its own as Word writes them."""
    for kind in ("begin", "instruction", "separate", "value", "end"):
        run = paragraph.add_run()
        _font(run, size=8)
        if kind == "instruction":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {name} "
        elif kind == "value":
            element = OxmlElement("w:t")
            element.text = "1"
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        run._r.append(element)


def build_receipt_docx(receipt: Receipt) -> bytes:
    """The receipt as DOCX bytes, dated and timed by the submission (never by the moment it is built)."""
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin = section.bottom_margin = Cm(2)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(10)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), "it-IT")
    normal.element.get_or_add_rPr().append(language)
    _page_numbers(section, receipt.numero)

    _paragraph(document, receipt.ente, size=10, bold=True, color=BLUE)
    _paragraph(document, receipt.avviso, size=9)
    title = document.add_paragraph()
    title.paragraph_format.space_before, title.paragraph_format.space_after = Pt(12), Pt(8)
    _font(title.add_run(_("Receipt of submission")), size=16, bold=True, color=BLUE)
    _paragraph(document, _("The application described below has been submitted on the portal and received by the "
                           "office. This receipt is the proof of what was filed and when."))
    when = receipt.presentata_at if receipt.presentata_at.tzinfo else receipt.presentata_at.replace(tzinfo=UTC)
    rows = [
        (_("Number"), receipt.numero),
        (_("Submitted on"), _("%(when)s (Italian time)", when=format_datetime(when, seconds=True))),
        (_("Application"), _("no. %(id)s, version %(v)s", id=receipt.domanda_id, v=receipt.versione)),
        (_("Patto"), receipt.titolo),
        (_("Applicant (lead partner)"), f"{receipt.capofila} \u2014 {_('codice fiscale')} {receipt.capofila_cf}"),
        (_("Submitted by"), receipt.presentata_da or "\u2014"),
        (_("Received by"), ", ".join(receipt.ufficio) or receipt.ente),
        (_("Fingerprint of the version (SHA-256)"), receipt.impronta),
    ]
    if receipt.bollo:
        rows.append((_("Stamp duty (marca da bollo)"),
                     _("identifier %(id)s of %(date)s", id=receipt.bollo, date=receipt.bollo_data)))
    _table(document, rows, mono=frozenset({7}))

    heading = document.add_paragraph()
    heading.paragraph_format.keep_with_next = True
    _font(heading.add_run(_("Signed files")), size=12, bold=True, color=BLUE)
    for item in receipt.files:
        _table(document, [
            (_("Document"), item.document),
            (_("File"), item.name),
            (_("SHA-256"), item.sha256),
            (_("Signed by"), f"{item.signer_name} ({item.signer_cf})" if item.signer_name else item.signer_cf),
            (_("Checks"), item.outcome),
        ], mono=frozenset({2}))
    if receipt.dopo:
        heading = document.add_paragraph()
        heading.paragraph_format.keep_with_next = True
        _font(heading.add_run(_("What happens next")), size=12, bold=True, color=BLUE)
        for line in receipt.dopo:
            _paragraph(document, line)

    moment = when.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    return stable_docx(document, moment, title=_("Receipt %(number)s", number=receipt.numero),
                       subject=clean(receipt.titolo), author="Patti Web",
                       keywords=f"{receipt.numero}; {receipt.impronta}")


def receipt_filename(numero: str, extension: str = "pdf") -> str:
    return f"ricevuta-{numero}.{extension}"
