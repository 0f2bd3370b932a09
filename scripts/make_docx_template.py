"""Make the Word templates: the manifestazione di interesse and the partners' letter of adhesion.

    .venv/bin/python -m scripts.make_docx_template

writes patti_web/documenti/manifestazione.docx and patti_web/documenti/adesione.docx. The .docx files are what
the portal fills (docxtpl, autoescape on); an operator may align their wording with the Region's official form in
Word or LibreOffice Writer, keeping the tags intact: {{ value }}, {%p ... %} for whole paragraphs, {%tr ... %} for
table rows. Re-running this script starts them over from the wording below.

What the templates settle once for every document: A4, Arial (Liberation Sans on the server) in every style and in
the theme, Italian (it-IT) as the language of every style and of the theme, a footer on every page naming the version
("Domanda n. 42 · versione 3 · impronta 1a2b3c4d5e6f · Pagina n di m"), a diagonal BOZZA watermark on every page of a
draft, headings kept with what follows them, the members' table one table per category whose heading rows repeat on
every page it runs onto, the signature block (for a qualified digital signature: no line to sign by hand) in one
unbreakable table row with place and date, no thumbnail and an honest docProps/app.xml.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import _Cell

FOLDER = Path(__file__).resolve().parent.parent / "patti_web" / "documenti"
BLUE = RGBColor(0x0B, 0x3D, 0x6E)
RED = RGBColor(0xB3, 0x26, 0x1E)
GREY = RGBColor(0x50, 0x5A, 0x5F)
FONT = "Arial"
LANGUAGE = "it-IT"

APP_XML = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
 xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><Application>Patti Web</Application>\
<DocSecurity>0</DocSecurity><Company></Company><AppVersion>1.0000</AppVersion></Properties>"""

# Word's own watermark: a VML text path behind the text of every page (LibreOffice reads it as its watermark).
WATERMARK = """<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
 xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"><w:rPr><w:noProof/></w:rPr>\
<w:pict><v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800"
 path="m@7,l@8,m@5,21600l@6,21600e"><v:formulas><v:f eqn="sum #0 0 10800"/><v:f eqn="prod #0 2 1"/>\
<v:f eqn="sum 21600 0 @1"/><v:f eqn="sum 0 0 @2"/><v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/>\
<v:f eqn="if @0 21600 @1"/><v:f eqn="if @0 0 @2"/><v:f eqn="if @0 @4 21600"/><v:f eqn="mid @5 @6"/>\
<v:f eqn="mid @8 @5"/><v:f eqn="mid @7 @8"/><v:f eqn="mid @6 @7"/><v:f eqn="sum @6 0 @5"/></v:formulas>\
<v:path textpathok="t" o:connecttype="custom" o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800"
 o:connectangles="270,180,90,0"/><v:textpath on="t" fitshape="t"/><v:handles><v:h position="#0,bottomRight"
 xrange="6629,14971"/></v:handles><o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>\
<v:shape id="PowerPlusWaterMarkObject1" o:spid="_x0000_s2049" type="#_x0000_t136"
 style="position:absolute;margin-left:0;margin-top:0;width:400pt;height:110pt;rotation:315;z-index:-251657216;\
mso-position-horizontal:center;mso-position-horizontal-relative:margin;mso-position-vertical:center;\
mso-position-vertical-relative:margin" o:allowincell="f" fillcolor="#c8c8c8" stroked="f"><v:fill opacity=".5"/>\
<v:textpath style="font-family:&quot;Arial&quot;;font-size:1pt;font-weight:bold" string="BOZZA"/></v:shape>\
</w:pict></w:r>"""


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


def no_borders(table) -> None:
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "nil")
        borders.append(edge)
    table._tbl.tblPr.append(borders)


def row_flag(row, name: str) -> None:
    flag = OxmlElement(f"w:{name}")
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


def para(doc, text: str = "", style: str | None = None, *, bold: bool = False, size: float | None = None,
         color: RGBColor | None = None, align=None, space_after: float | None = None, space_before: float | None = None,
         keep_with_next: bool = False):
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
    if space_before is not None:
        paragraph.paragraph_format.space_before = Pt(space_before)
    if keep_with_next:
        paragraph.paragraph_format.keep_with_next = True
    return paragraph


def tag(doc, text: str) -> None:
    """A paragraph that only holds a docxtpl tag ({%p ... %}): docxtpl removes it when rendering."""
    doc.add_paragraph(text)


def labelled(doc, label: str, value: str) -> None:
    paragraph = doc.add_paragraph(style="Dati")
    paragraph.add_run(label + ": ").bold = True
    paragraph.add_run(value)


def heading_word(doc, text: str) -> None:
    """MANIFESTA, DICHIARA, SI IMPEGNA: centred, bold, kept with what follows."""
    para(doc, text, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_before=6, space_after=4, keep_with_next=True)


def set_widths(t, widths_cm: list[float]) -> None:
    """Column widths in the table grid (what LibreOffice reads) and in every cell (what Word reads)."""
    grid = t._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths_cm, strict=True):
        col.set(qn("w:w"), str(int(Cm(width).twips)))
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
    row_flag(t.rows[0], "tblHeader")
    return t


def finish_table(doc, t, widths_cm: list[float]) -> None:
    for row in t.rows:
        row_flag(row, "cantSplit")
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


def grouped_tables(doc, headers, group_label, cells, widths_cm, group_loop, item_loop):
    """One table per group: its full-width label and the column headers are its heading rows, which Word and
    LibreOffice repeat on every page the group runs onto (a category carried over a page keeps its name)."""
    tag(doc, group_loop)
    t = doc.add_table(rows=5, cols=len(headers))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    heading = t.rows[0].cells[0].merge(t.rows[0].cells[len(headers) - 1])
    heading.paragraphs[0].add_run(group_label).bold = True
    set_cell_shading(heading, "F2F2F2")
    for i, header in enumerate(headers):
        cell = t.rows[1].cells[i]
        cell.paragraphs[0].add_run(header).bold = True
        set_cell_shading(cell, "DCE6F0")
    for row in t.rows[:2]:
        row_flag(row, "tblHeader")
    t.rows[2].cells[0].text = item_loop
    for i, value in enumerate(cells):
        t.rows[3].cells[i].text = value
    t.rows[4].cells[0].text = "{%tr endfor %}"
    finish_table(doc, t, widths_cm)
    # The heading rows stay with the group's first member (never alone at the foot of a page).
    for row in t.rows[:2]:
        for cell in row.cells:
            cell.paragraphs[0].paragraph_format.keep_with_next = True
    # The "N." column right-aligned: row numbers up to 9999 fit on one line.
    t.rows[3].cells[0].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    # Two tables with nothing between them would be read as one: a thin paragraph keeps them apart.
    spacer = doc.add_paragraph()
    spacer.paragraph_format.space_after = Pt(0)
    spacer.paragraph_format.line_spacing = Pt(6)
    tag(doc, "{%p endfor %}")


def signature_block(doc, role: str, signer: str, *, unsignable: str) -> None:
    """Place and date beside the signature, in one table row that cannot split: they always share a page. The
    document is signed with a qualified digital signature (CAD), so there is no line to sign by hand.

    On a draft the signature is replaced by `unsignable`: nobody can sign a document the rules still refuse.
    """
    t = doc.add_table(rows=1, cols=2)
    t.autofit = False
    no_borders(t)
    row_flag(t.rows[0], "cantSplit")
    left, right = t.rows[0].cells
    left.paragraphs[0].add_run("Luogo e data: {{ luogo }}, {{ data }}")
    right.paragraphs[0].text = "{%p if bozza %}"
    p = right.add_paragraph()
    p.add_run(unsignable).bold = True
    p.runs[0].font.color.rgb = RED
    right.add_paragraph("{%p else %}")
    right.add_paragraph(role)
    right.add_paragraph(signer).runs[0].bold = True
    p = right.add_paragraph("Documento firmato digitalmente ai sensi del D.Lgs. 7 marzo 2005, n. 82 (Codice "
                            "dell'amministrazione digitale, CAD) e norme collegate")
    p.paragraph_format.space_before = Pt(6)
    p.runs[0].font.size = Pt(8)
    right.add_paragraph("{%p endif %}")
    for paragraph in right.paragraphs:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_widths(t, [7.5, 9.5])
    table_spacing = doc.add_paragraph()
    table_spacing.paragraph_format.space_before = Pt(0)


def _strip_theme_fonts(styles_element) -> None:
    """Heading styles of the stock template name theme fonts (Calibri), which win over a named font: drop them."""
    for fonts in styles_element.iter(qn("w:rFonts")):
        for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attribute), None)
        fonts.set(qn("w:ascii"), FONT)
        fonts.set(qn("w:hAnsi"), FONT)
        fonts.set(qn("w:cs"), FONT)


def _italian(doc) -> None:
    """it-IT in the document defaults, in every style that names a language, and in the theme's font language."""
    styles = doc.styles.element
    for lang in styles.iter(qn("w:lang")):
        lang.set(qn("w:val"), LANGUAGE)
        lang.set(qn("w:eastAsia"), LANGUAGE)
    defaults = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    if defaults.find(qn("w:lang")) is None:
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), LANGUAGE)
        defaults.append(lang)
    settings = doc.settings.element
    theme_lang = settings.find(qn("w:themeFontLang"))
    theme_lang.set(qn("w:val"), LANGUAGE)
    theme_lang.set(qn("w:eastAsia"), LANGUAGE)


def _honest_package(doc) -> None:
    """No stock thumbnail, and an app.xml that names Patti Web; the theme's fonts are the body font too."""
    package = doc.part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            package.rels.pop(rel_id)
        elif rel.reltype == RT.EXTENDED_PROPERTIES:
            rel.target_part._blob = APP_XML.encode()
    for rel in doc.part.rels.values():
        if rel.reltype == RT.THEME:
            theme = rel.target_part.blob.decode()
            for old in ('typeface="Calibri"', 'typeface="Cambria"', 'typeface="Calibri Light"'):
                theme = theme.replace(old, f'typeface="{FONT}"')
            rel.target_part._blob = theme.encode()


def new_document(header_text: str):
    """An empty A4 document with the styles, language, header (watermark on drafts) and footer of both templates."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.header_distance = section.footer_distance = Cm(1)

    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10.5)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.15
    normal.paragraph_format.widow_control = True
    for name, size in (("Title", 16), ("Heading 1", 13), ("Heading 2", 11)):
        style = styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.color.rgb = BLUE
        style.font.bold = True
        style.font.italic = False
        style.paragraph_format.keep_with_next = True
        style.paragraph_format.keep_together = True
    styles["Title"].paragraph_format.space_after = Pt(6)
    styles["Heading 1"].paragraph_format.space_before = Pt(12)
    styles["Heading 1"].paragraph_format.space_after = Pt(4)
    styles["Heading 2"].paragraph_format.space_before = Pt(8)
    styles["Heading 2"].paragraph_format.space_after = Pt(2)
    dati = styles.add_style("Dati", WD_STYLE_TYPE.PARAGRAPH)
    dati.base_style = normal
    dati.paragraph_format.space_after = Pt(2)
    tabella = styles.add_style("Tabella", WD_STYLE_TYPE.PARAGRAPH)
    tabella.base_style = normal
    tabella.font.size = Pt(9)
    tabella.paragraph_format.space_after = Pt(0)
    tabella.paragraph_format.line_spacing = 1.0
    _strip_theme_fonts(styles.element)
    _italian(doc)
    _honest_package(doc)

    header = section.header
    header.paragraphs[0].text = "{%p if bozza %}"
    watermark = header.add_paragraph()
    watermark._p.append(parse_xml(WATERMARK))
    header.add_paragraph("{%p endif %}")
    line = header.add_paragraph()
    line.add_run("{% if bozza %}BOZZA, NON FIRMABILE · {% endif %}").bold = True
    line.runs[0].font.color.rgb = RED
    line.add_run(header_text).font.color.rgb = GREY
    for run in line.runs:
        run.font.size = Pt(8)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("{% if identita.numero %}Domanda n. {{ identita.numero }} · versione {{ identita.versione }} · "
                   "{% endif %}impronta {{ identita.breve }} · Pagina ")
    field(footer, "PAGE", "1")
    footer.add_run(" di ")
    field(footer, "NUMPAGES", "1")
    for run in footer.runs:
        run.font.size = Pt(8)
        run.font.color.rgb = GREY
    return doc


def draft_notice(doc, what: str) -> None:
    """On page 1 of a draft: that it is one, why, and the open errors."""
    tag(doc, "{%p if bozza %}")
    para(doc, "BOZZA — DOCUMENTO NON FIRMABILE", bold=True, size=14, color=RED, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(doc, what, bold=True, color=RED)
    tag(doc, "{%p for errore in errori %}")
    para(doc, "{{ errore }}", style="List Bullet")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")


def addressee(doc, lines_loop: str, line: str) -> None:
    para(doc, "Spett.le", align=WD_ALIGN_PARAGRAPH.RIGHT, space_after=0)
    tag(doc, lines_loop)
    para(doc, line, align=WD_ALIGN_PARAGRAPH.RIGHT, space_after=0)
    tag(doc, "{%p endfor %}")


def oggetto(doc, text: str) -> None:
    p = doc.add_paragraph()
    p.paragraph_format.space_before = Pt(14)
    p.paragraph_format.space_after = Pt(10)
    p.add_run("Oggetto: ").bold = True
    p.add_run(text).bold = True


# Place and date of birth of a signatory, when given ("nato/a a Brescia il 10 dicembre 1985").
BIRTH = ("{{% if {who}.luogo_nascita or {who}.data_nascita %}}, nato/a{{% if {who}.luogo_nascita %}} a "
         "{{{{ {who}.luogo_nascita }}}}{{% endif %}}{{% if {who}.data_nascita %}} il {{{{ {who}.data_nascita }}}}"
         "{{% endif %}}{{% endif %}}")
DECLARATION_445 = ("consapevole delle sanzioni penali previste dall'articolo 76 del D.P.R. 28 dicembre 2000, n. 445 "
                   "per le ipotesi di falsità in atti e di dichiarazioni mendaci, e della decadenza dai benefici "
                   "eventualmente conseguiti prevista dall'articolo 75 del medesimo decreto,")
PRIVACY = ("Il/La sottoscritto/a dichiara di essere informato/a, ai sensi dell'articolo 13 del Regolamento (UE) "
           "2016/679 e del D.Lgs. 30 giugno 2003, n. 196, che i dati personali contenuti nel presente documento sono "
           "trattati, anche con strumenti informatici, esclusivamente per il procedimento per il quale il documento "
           "è presentato, {TAIL}")


def build_manifestazione() -> None:
    doc = new_document("Manifestazione di interesse · {{ avviso.titolo }}")
    addressee(doc, "{%p for riga in avviso.destinatario %}", "{{ riga }}")
    oggetto(doc, "{{ avviso.titolo }}: {{ avviso.fase }}. Manifestazione di interesse per la costituzione del "
                 "{{ patto }}{% if avviso.riferimento %} ({{ avviso.riferimento }}){% endif %}.")
    draft_notice(doc, "La domanda non rispetta ancora le regole dell'avviso: non può essere firmata né presentata "
                      "finché non sono corretti {% if errori|length == 1 %}l'errore{% else %}i {{ errori|length }} "
                      "errori{% endif %} seguenti.")

    para(doc, "Il/La sottoscritto/a {{ firmatario.nome }}" + BIRTH.format(who="firmatario") + ", codice fiscale "
              "{{ firmatario.codice_fiscale }}, in qualità di {% if firmatario.procuratore %}procuratore, giusta "
              "procura n. {{ firmatario.procura_numero }} del {{ firmatario.procura_data }},{% else %}legale "
              "rappresentante{% if firmatario.carica %} ({{ firmatario.carica }}){% endif %}{% endif %} del soggetto "
              "denominato {{ capofila.denominazione }}, codice fiscale {{ capofila.codice_fiscale }}, con sede legale "
              "in {{ capofila.sede }}, PEC {{ capofila.pec }}, capofila del partenariato descritto nel presente "
              "documento,")
    para(doc, DECLARATION_445)
    heading_word(doc, "MANIFESTA")
    para(doc, "l'interesse del partenariato a costituire il {{ patto }} ai sensi dell'avviso, come descritto nelle "
              "sezioni seguenti, e")
    heading_word(doc, "DICHIARA")
    para(doc, "ai sensi degli articoli 46 e 47 del D.P.R. 28 dicembre 2000, n. 445:", keep_with_next=True)
    para(doc, "a) di aver preso visione e di accettare integralmente l'avviso «{{ avviso.titolo }}»"
              "{% if avviso.riferimento %} ({{ avviso.riferimento }}){% endif %} e le condizioni in esso stabilite;")
    para(doc, "b) di essere munito/a dei poteri di rappresentanza e di firma necessari a sottoscrivere il presente "
              "atto e a impegnare il soggetto capofila{% if firmatario.procuratore %}, in forza della procura n. "
              "{{ firmatario.procura_numero }} del {{ firmatario.procura_data }}, tuttora valida ed efficace"
              "{% else %}, in qualità di suo legale rappresentante{% endif %};")
    para(doc, "c) che il soggetto capofila può esserlo ai sensi dell'avviso, in qualità di {{ capofila.tipologia }};")
    para(doc, "d) che il partenariato è composto dai {{ numero_soggetti }} soggetti indicati nella sezione 2, "
              "compreso il capofila, e che ciascun partner vi ha aderito con la lettera di adesione allegata;")
    para(doc, "e) che le informazioni contenute nel presente documento e nei suoi allegati corrispondono al vero;")
    heading_word(doc, "SI IMPEGNA")
    para(doc, "a) a costituire il Patto con i soggetti del partenariato e a coordinarne le attività in qualità di "
              "capofila;")
    para(doc, "b) in caso di selezione, a partecipare alla seconda fase dell'avviso presentando la proposta "
              "progettuale integrale nei tempi e nei modi stabiliti da Regione Lombardia;")
    para(doc, "c) a comunicare tempestivamente a Regione Lombardia ogni variazione dei dati dichiarati e della "
              "composizione del partenariato.")

    doc.add_heading("1. Soggetto capofila", level=1)
    labelled(doc, "Denominazione", "{{ capofila.denominazione }}")
    labelled(doc, "Tipologia", "{{ capofila.tipologia }}")
    tag(doc, "{%p if capofila.rappresentanza %}")
    labelled(doc, "Settore o filiera rappresentati", "{{ capofila.rappresentanza }}")
    tag(doc, "{%p endif %}")
    labelled(doc, "Codice fiscale", "{{ capofila.codice_fiscale }}")
    labelled(doc, "Sede legale", "{{ capofila.sede }}")
    labelled(doc, "PEC", "{{ capofila.pec }}")
    labelled(doc, "Legale rappresentante", "{{ capofila.legale_rappresentante }}")
    labelled(doc, "Codice fiscale del legale rappresentante", "{{ capofila.legale_rappresentante_cf }}")
    tag(doc, "{%p if firmatario.procuratore %}")
    labelled(doc, "Firma il procuratore", "{{ firmatario.nome }}, codice fiscale {{ firmatario.codice_fiscale }}, "
                                          "procura n. {{ firmatario.procura_numero }} del "
                                          "{{ firmatario.procura_data }}")
    tag(doc, "{%p endif %}")
    labelled(doc, "Referente", "{{ capofila.referente }}")
    tag(doc, "{%p if bollo %}")
    labelled(doc, "Imposta di bollo", "{{ bollo }}")
    tag(doc, "{%p endif %}")

    doc.add_heading("2. Composizione del partenariato", level=1)
    para(doc, "Il partenariato è composto da {{ numero_soggetti }} {% if numero_soggetti == 1 %}soggetto{% else %}"
              "soggetti{% endif %}, compreso il capofila, per categoria dell'avviso: prima le categorie "
              "obbligatorie, poi le ulteriori.{% if capofila.conta_come %} Il capofila conta per la categoria "
              "«{{ capofila.conta_come }}».{% endif %}", keep_with_next=True)
    grouped_tables(
        doc,
        ["N.", "Denominazione", "Codice fiscale", "Provincia", "Legale rappresentante", "Referente"],
        "{{ g.etichetta }}",
        ["{{ p.n }}", "{{ p.denominazione }}", "{{ p.codice_fiscale }}", "{{ p.provincia }}",
         "{{ p.legale_rappresentante }}", "{{ p.referente }}"],
        [1.1, 5.0, 2.7, 2.2, 3.0, 3.0],
        "{%p for g in gruppi %}",
        "{%tr for p in g.soggetti %}",
    )

    doc.add_heading("3. Ambito territoriale", level=1)
    labelled(doc, "Ambito", "{{ territorio.ambito }}")
    labelled(doc, "Province", "{{ territorio.province }}")
    tag(doc, "{%p if territorio.descrizione %}")
    labelled(doc, "Area", "{{ territorio.descrizione }}")
    tag(doc, "{%p endif %}")

    doc.add_heading("4. Settori e filiere", level=1)
    tag(doc, "{%p for s in settori %}")
    doc.add_heading("4.{{ s.n }}. {{ s.descrizione }}", level=2)
    tag(doc, "{%p if s.ateco %}")
    table(doc, ["Codice ATECO", "Descrizione ISTAT ({{ ateco_edizione }})"], ["{{ a.codice }}", "{{ a.descrizione }}"],
          [3.0, 14.0], "{%tr for a in s.ateco %}", "{%tr endfor %}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p else %}")
    para(doc, "Nessun settore o filiera indicati.")
    tag(doc, "{%p endfor %}")

    doc.add_heading("5. Fabbisogni di competenze", level=1)
    tag(doc, "{%p for f in fabbisogni %}")
    doc.add_heading("5.{{ f.n }}. {{ f.id }} — {{ f.titolo }}", level=2)
    tag(doc, "{%p for testo in f.descrizione %}")
    para(doc, "{{ testo }}")
    tag(doc, "{%p endfor %}")
    para(doc, "Perché le misure di politica attiva in corso non vi rispondono pienamente", bold=True,
         keep_with_next=True)
    tag(doc, "{%p for testo in f.lacune_politiche_attive %}")
    para(doc, "{{ testo }}")
    tag(doc, "{%p endfor %}")
    para(doc, "Analisi, ricerche e studi da cui emerge", bold=True, keep_with_next=True)
    tag(doc, "{%p for fonte in f.fonti %}")
    para(doc, "{{ fonte }}", style="List Bullet")
    tag(doc, "{%p else %}")
    para(doc, "Nessuna fonte indicata.")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    para(doc, "Nessun fabbisogno indicato.")
    tag(doc, "{%p endfor %}")

    doc.add_heading("6. Prima proposta di interventi", level=1)
    tag(doc, "{%p for i in interventi %}")
    doc.add_heading("6.{{ i.n }}. {{ i.titolo }}", level=2)
    tag(doc, "{%p for testo in i.descrizione %}")
    para(doc, "{{ testo }}")
    tag(doc, "{%p endfor %}")
    labelled(doc, "Destinatari", "{{ i.destinatari }}")
    labelled(doc, "Fabbisogni a cui risponde", "{{ i.fabbisogni }}")
    tag(doc, "{%p else %}")
    para(doc, "Nessun intervento indicato.")
    tag(doc, "{%p endfor %}")

    doc.add_heading("7. Trattamento dei dati personali", level=1)
    para(doc, PRIVACY.format(TAIL="e di aver informato le persone i cui dati vi sono riportati."))

    doc.add_heading("8. Allegati", level=1)
    tag(doc, "{%p if numero_partner %}")
    para(doc, "{{ numero_partner }} {% if numero_partner == 1 %}lettera{% else %}lettere{% endif %} di adesione al "
              "Patto, una per ciascun partner indicato nella sezione 2, firmate digitalmente dai rispettivi legali "
              "rappresentanti.", style="List Bullet", keep_with_next=True)
    tag(doc, "{%p else %}")
    para(doc, "Nessun allegato: il partenariato non ha ancora partner.", keep_with_next=True)
    tag(doc, "{%p endif %}")

    # The last section goes with the signature: the block is never alone on the last page.
    para(doc, "", space_before=12, keep_with_next=True)
    signature_block(doc, "{% if firmatario.procuratore %}Il procuratore{% else %}Il legale rappresentante{% endif %}",
                    "{{ firmatario.firma }}",
                    unsignable="Documento non firmabile: {{ errori|length }} {% if errori|length == 1 %}errore"
                               "{% else %}errori{% endif %} da correggere.")
    save(doc, "manifestazione.docx")


def build_adesione() -> None:
    doc = new_document("Lettera di adesione · {{ patto }}")
    para(doc, "Spett.le", align=WD_ALIGN_PARAGRAPH.RIGHT, space_after=0)
    para(doc, "{{ capofila.denominazione }}", align=WD_ALIGN_PARAGRAPH.RIGHT, space_after=0)
    para(doc, "capofila del partenariato", align=WD_ALIGN_PARAGRAPH.RIGHT, space_after=6)
    para(doc, "e p.c. {{ avviso.destinatario|join(', ') }}", align=WD_ALIGN_PARAGRAPH.RIGHT, size=9)
    oggetto(doc, "Lettera di adesione al partenariato del {{ patto }} ({{ avviso.ente }}, {{ avviso.titolo }}: "
                 "{{ avviso.fase }}).")
    tag(doc, "{%p if bozza %}")
    para(doc, "BOZZA — DOCUMENTO NON FIRMABILE", bold=True, size=12, color=RED, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(doc, "La domanda ha ancora {{ numero_errori }} {% if numero_errori == 1 %}errore{% else %}errori{% endif %} "
              "da correggere, elencati nella manifestazione di interesse: questa lettera non può essere firmata "
              "finché non sono corretti.", bold=True, color=RED, size=9)
    tag(doc, "{%p endif %}")
    para(doc, "Il/La sottoscritto/a {{ legale.nome }}, codice fiscale {{ legale.codice_fiscale }}, in qualità di "
              "legale rappresentante del soggetto denominato {{ partner.denominazione }}, codice fiscale "
              "{{ partner.codice_fiscale }}, con sede legale in {{ partner.sede }}"
              "{% if partner.pec %}, PEC {{ partner.pec }}{% endif %}"
              "{% if partner.rea %}, iscritto al Repertorio Economico Amministrativo con il numero {{ partner.rea }}"
              "{% endif %},")
    para(doc, DECLARATION_445)
    heading_word(doc, "DICHIARA")
    para(doc, "a) di aderire al partenariato del {{ patto }}, promosso dal soggetto capofila "
              "{{ capofila.denominazione }}, come soggetto della categoria «{{ partner.categoria }}»"
              "{% if partner.rete %}, in rappresentanza della rete di cui fa parte{% endif %}"
              "{% if partner.ccnl %}, firmatario dei contratti collettivi nazionali: {{ partner.ccnl }}{% endif %};")
    para(doc, "b) di aver preso visione e di accettare integralmente l'avviso «{{ avviso.titolo }}»"
              "{% if avviso.riferimento %} ({{ avviso.riferimento }}){% endif %} e le condizioni in esso stabilite;")
    para(doc, "c) di essere munito/a dei poteri di rappresentanza e di firma necessari a sottoscrivere la presente "
              "lettera e a impegnare il soggetto rappresentato, in qualità di suo legale rappresentante;")
    para(doc, "d) che le informazioni contenute nella presente lettera corrispondono al vero;")
    heading_word(doc, "SI IMPEGNA")
    para(doc, "a partecipare alle attività del Patto e, in caso di selezione, alla definizione della proposta "
              "progettuale integrale, e a comunicare tempestivamente al capofila ogni variazione dei dati dichiarati.")
    para(doc, PRIVACY.format(TAIL="e autorizza il capofila a trasmetterli a Regione Lombardia con la manifestazione "
                                  "di interesse."), size=9)
    para(doc, "", space_before=6)
    signature_block(doc, "Il legale rappresentante", "{{ legale.firma }}",
                    unsignable="Documento non firmabile: la domanda ha {{ numero_errori }} {% if numero_errori == 1 %}"
                               "errore{% else %}errori{% endif %} da correggere.")
    save(doc, "adesione.docx")


def save(doc, name: str) -> None:
    target = FOLDER / name
    doc.save(target)
    print(f"written {target}")


if __name__ == "__main__":
    build_manifestazione()
    build_adesione()
