"""Bootstrap the Word template patti_web/documents/manifestazione.docx.

This script made the first version of the template. From then on the .docx is the source of truth: an operator
changes the wording in Word or LibreOffice Writer and commits the file; re-run this script only to start over.
Tags are docxtpl (Jinja) tags: {{ value }}, {%p ... %} for whole paragraphs, {%tr ... %} for table rows.

    .venv/bin/python scripts/make_docx_template.py
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

OUT = Path(__file__).resolve().parent.parent / "patti_web" / "documents" / "manifestazione.docx"
BLUE = RGBColor(0x0B, 0x3D, 0x6E)
RED = RGBColor(0xB3, 0x26, 0x1E)


def field(paragraph, instruction: str, placeholder: str) -> None:
    """Insert a Word field (PAGE, NUMPAGES) as begin / instruction / separate / result / end runs."""
    def run_with(child):
        run = paragraph.add_run()
        run._r.append(child)
        return run

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run_with(instr)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    paragraph.add_run(placeholder)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def set_cell_shading(cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def repeat_header(row) -> None:
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def para(doc, text: str = "", style: str | None = None, *, bold: bool = False, size: float | None = None,
         color: RGBColor | None = None, align=None, space_after: float | None = None, keep_with_next=False):
    paragraph = doc.add_paragraph(style=style)
    if text:
        run = paragraph.add_run(text)
        run.bold = bold or None
        if size:
            run.font.size = Pt(size)
        if color is not None:
            run.font.color.rgb = color
    if align is not None:
        paragraph.alignment = align
    if space_after is not None:
        paragraph.paragraph_format.space_after = Pt(space_after)
    if keep_with_next:
        paragraph.paragraph_format.keep_with_next = True
    return paragraph


def labelled(doc, label: str, value: str) -> None:
    paragraph = doc.add_paragraph(style="Dati")
    paragraph.add_run(label + ": ").bold = True
    paragraph.add_run(value)


def set_widths(t, widths_cm: list[float]) -> None:
    """Column widths in the table grid (what LibreOffice reads) and in every cell (what Word reads)."""
    grid = t._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths_cm, strict=True):
        col.set(qn("w:w"), str(int(Cm(width).twips)))
    from docx.table import _Cell

    for row in t.rows:
        start = 0
        for tc in row._tr.tc_lst:
            span = tc.grid_span
            _Cell(tc, t).width = Cm(sum(widths_cm[start:start + span]))
            start += span


def new_table(doc, headers: list[str], rows: int):
    t = doc.add_table(rows=rows + 1, cols=len(headers))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    for i, header in enumerate(headers):
        cell = t.rows[0].cells[i]
        cell.paragraphs[0].add_run(header).bold = True
        set_cell_shading(cell, "DCE6F0")
    repeat_header(t.rows[0])
    return t


def finish_table(doc, t, widths_cm: list[float]) -> None:
    for row in t.rows:
        cant_split = OxmlElement("w:cantSplit")
        cant_split.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(cant_split)
        for cell in row.cells:
            for p in cell.paragraphs:
                p.style = doc.styles["Tabella"]
    set_widths(t, widths_cm)


def table(doc, headers: list[str], cells: list[str], widths_cm: list[float], loop: str, endloop: str):
    """A table with a repeated header row and one row per item through {%tr %} tags."""
    t = new_table(doc, headers, 3)
    t.rows[1].cells[0].text = loop
    for i, value in enumerate(cells):
        t.rows[2].cells[i].text = value
    t.rows[3].cells[0].text = endloop
    finish_table(doc, t, widths_cm)
    return t


def grouped_table(doc, headers, group_label, cells, widths_cm, group_loop, item_loop):
    """Like `table`, with a full-width heading row before the rows of each group."""
    t = new_table(doc, headers, 6)
    t.rows[1].cells[0].text = group_loop
    heading = t.rows[2].cells[0].merge(t.rows[2].cells[len(headers) - 1])
    heading.text = ""
    heading.paragraphs[0].add_run(group_label).bold = True
    heading.paragraphs[0].paragraph_format.keep_with_next = True
    set_cell_shading(heading, "F2F2F2")
    t.rows[3].cells[0].text = item_loop
    for i, value in enumerate(cells):
        t.rows[4].cells[i].text = value
    t.rows[5].cells[0].text = "{%tr endfor %}"
    t.rows[6].cells[0].text = "{%tr endfor %}"
    finish_table(doc, t, widths_cm)
    return t


def build() -> None:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.header_distance = section.footer_distance = Cm(1)

    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name = "Arial"
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "Arial")
    normal.font.size = Pt(10.5)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.15
    for name, size in (("Title", 18), ("Heading 1", 14), ("Heading 2", 11.5)):
        style = styles[name]
        style.font.name = "Arial"
        style.font.size = Pt(size)
        style.font.color.rgb = BLUE
        style.font.bold = True
        style.paragraph_format.keep_with_next = True
    styles["Title"].paragraph_format.space_after = Pt(6)
    styles["Heading 1"].paragraph_format.space_before = Pt(14)
    styles["Heading 1"].paragraph_format.space_after = Pt(6)
    styles["Heading 2"].paragraph_format.space_before = Pt(8)
    from docx.enum.style import WD_STYLE_TYPE

    dati = styles.add_style("Dati", WD_STYLE_TYPE.PARAGRAPH)
    dati.base_style = normal
    dati.paragraph_format.space_after = Pt(2)
    tabella = styles.add_style("Tabella", WD_STYLE_TYPE.PARAGRAPH)
    tabella.base_style = normal
    tabella.font.size = Pt(9)
    tabella.paragraph_format.space_after = Pt(0)
    tabella.paragraph_format.line_spacing = 1.0

    header = section.header.paragraphs[0]
    header.text = ("{% if bozza %}BOZZA — non conforme all'avviso · {% endif %}"
                   "Manifestazione di interesse · {{ avviso.titolo }}")
    header.style.font.size = Pt(8)
    header.runs[0].font.color.rgb = RGBColor(0x50, 0x5A, 0x5F)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("{{ capofila.denominazione }} · Pagina ")
    field(footer, "PAGE", "1")
    footer.add_run(" di ")
    field(footer, "NUMPAGES", "1")
    for run in footer.runs:
        run.font.size = Pt(8)

    para(doc, "{{ avviso.ente }}", align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, color=BLUE)
    para(doc, "{{ avviso.titolo }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    para(doc, "{{ avviso.fase }}", align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    title = doc.add_paragraph("Manifestazione di interesse", style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para(doc, "«{{ titolo }}»", align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, size=13, space_after=6)
    para(doc, "{{ avviso.riferimento }}", align=WD_ALIGN_PARAGRAPH.CENTER, size=9, space_after=12)

    para(doc, "{%p if bozza %}")
    para(doc, "BOZZA — non conforme all'avviso", bold=True, size=16, color=RED, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(doc, "Questa bozza non rispetta ancora le regole dell'avviso. Errori da correggere ({{ errori|length }}):",
         bold=True, color=RED)
    para(doc, "{%p for errore in errori %}")
    para(doc, "{{ errore }}", style="List Bullet")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")

    doc.add_heading("1. Soggetto capofila", level=1)
    labelled(doc, "Denominazione", "{{ capofila.denominazione }}")
    labelled(doc, "Tipologia", "{{ capofila.tipologia }}")
    labelled(doc, "Codice fiscale", "{{ capofila.codice_fiscale }}")
    labelled(doc, "Sede", "{{ capofila.sede }}")
    labelled(doc, "PEC", "{{ capofila.pec }}")
    labelled(doc, "Legale rappresentante", "{{ capofila.legale_rappresentante }}")
    labelled(doc, "Codice fiscale del legale rappresentante", "{{ capofila.legale_rappresentante_cf }}")
    labelled(doc, "Referente", "{{ capofila.referente }}")

    doc.add_heading("2. Composizione del partenariato", level=1)
    para(doc, "Il partenariato è composto da {{ numero_soggetti }} soggetti, compreso il capofila, raggruppati per "
         "categoria: prima le categorie obbligatorie, poi le ulteriori.")
    grouped_table(
        doc,
        ["N.", "Denominazione", "Categoria", "Codice fiscale", "Provincia", "Referente"],
        "{{ g.etichetta }}",
        ["{{ p.n }}", "{{ p.denominazione }}", "{{ p.categoria }}", "{{ p.codice_fiscale }}", "{{ p.provincia }}",
         "{{ p.referente }}"],
        [0.9, 4.6, 3.8, 2.7, 2.2, 2.8],
        "{%tr for g in gruppi %}",
        "{%tr for p in g.soggetti %}",
    )

    doc.add_heading("3. Ambito territoriale", level=1)
    labelled(doc, "Ambito", "{{ territorio.ambito }}")
    labelled(doc, "Province", "{{ territorio.province }}")

    doc.add_heading("4. Settori e filiere", level=1)
    para(doc, "{%p for s in settori %}")
    doc.add_heading("{{ s.n }}. {{ s.descrizione }}", level=2)
    para(doc, "{%p if s.ateco %}")
    table(doc, ["Codice ATECO", "Descrizione ISTAT ({{ ateco_edizione }})"], ["{{ a.codice }}", "{{ a.descrizione }}"],
          [3.0, 14.0], "{%tr for a in s.ateco %}", "{%tr endfor %}")
    para(doc, "{%p endif %}")
    para(doc, "{%p endfor %}")

    doc.add_heading("5. Fabbisogni di competenze", level=1)
    para(doc, "{%p for f in fabbisogni %}")
    doc.add_heading("{{ f.id }} — {{ f.titolo }}", level=2)
    para(doc, "{%p for testo in f.descrizione %}")
    para(doc, "{{ testo }}")
    para(doc, "{%p endfor %}")
    para(doc, "Perché le misure di politica attiva in corso non vi rispondono pienamente", bold=True,
         keep_with_next=True)
    para(doc, "{%p for testo in f.lacune_politiche_attive %}")
    para(doc, "{{ testo }}")
    para(doc, "{%p endfor %}")
    para(doc, "Analisi, ricerche e studi da cui emerge", bold=True, keep_with_next=True)
    para(doc, "{%p for fonte in f.fonti %}")
    para(doc, "{{ fonte }}", style="List Bullet")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endfor %}")

    doc.add_heading("6. Prime ipotesi di intervento", level=1)
    para(doc, "{%p for i in interventi %}")
    doc.add_heading("{{ i.n }}. {{ i.titolo }}", level=2)
    para(doc, "{%p for testo in i.descrizione %}")
    para(doc, "{{ testo }}")
    para(doc, "{%p endfor %}")
    labelled(doc, "Destinatari", "{{ i.destinatari }}")
    labelled(doc, "Fabbisogni a cui risponde", "{{ i.fabbisogni }}")
    para(doc, "{%p endfor %}")

    doc.add_heading("7. Dichiarazioni", level=1)
    para(doc, "Il/La sottoscritto/a {{ capofila.legale_rappresentante }}, in qualità di legale rappresentante di "
         "{{ capofila.denominazione }}, soggetto capofila del partenariato, manifesta l'interesse del partenariato "
         "a costituire il Patto territoriale per le competenze e per l'occupazione descritto in questo documento e "
         "dichiara che le informazioni riportate corrispondono al vero.")
    para(doc, "")
    para(doc, "Luogo e data: {{ luogo }}, {{ data }}", keep_with_next=True)
    para(doc, "")
    para(doc, "Il legale rappresentante", align=WD_ALIGN_PARAGRAPH.RIGHT, keep_with_next=True)
    para(doc, "{{ capofila.legale_rappresentante }}", align=WD_ALIGN_PARAGRAPH.RIGHT, keep_with_next=True)
    para(doc, "")
    para(doc, "_________________________________", align=WD_ALIGN_PARAGRAPH.RIGHT, keep_with_next=True)
    para(doc, "(firma digitale)", align=WD_ALIGN_PARAGRAPH.RIGHT, size=8)

    OUT.parent.mkdir(parents=True, exist_ok=True)
    doc.save(OUT)
    print(f"written {OUT}")


if __name__ == "__main__":
    build()
