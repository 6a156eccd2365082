"""Render a handout as a Word document: real headings, Chinese fonts, one case per page.

Case titles are Heading 1 and their sections Heading 2, so Word's navigation pane lists them.
Word picks the font of Chinese text from `w:eastAsia` and lets a theme font (`w:eastAsiaTheme`)
override it, so the styles get an explicit East Asian font and lose their theme fonts.
The output is reproducible: core properties carry the handout's own date, and the zip entries
a fixed timestamp (python-docx stamps them with the current time).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from markupsafe import Markup

if TYPE_CHECKING:
    from docx.document import Document as DocumentType
    from docx.text.paragraph import Paragraph

    from casebook.packs.handout import Handout, HandoutCase

BODY_FONT = ("Times New Roman", "宋体")  # (Latin, East Asian)
HEADING_FONT = ("Arial", "黑体")
INK = RGBColor(0x1A, 0x1A, 0x1A)
MUTED = RGBColor(0x66, 0x66, 0x66)

# What XML 1.0 cannot hold. `check` refuses control characters in cases and packs, but a pack
# made in the browser's tray carries whatever was typed, and lxml raises on any of these.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def write_docx(handout: Handout, path: Path) -> None:
    """Write one edition of a handout as a .docx file."""
    path.write_bytes(docx_bytes(handout))


def docx_bytes(handout: Handout) -> bytes:
    """Return one edition of a handout as the bytes of a .docx file."""
    handout = _xml_safe(handout)
    document = Document()
    _set_up(document, handout)
    _cover(document, handout)
    for case in handout.cases:
        _case(document, case)
    _properties(document, handout)
    buffer = io.BytesIO()
    document.save(buffer)
    return _rezip(buffer.getvalue(), handout.stamp)


def _xml_safe(value):
    """Return value (a handout, or any part of one) without characters XML cannot hold."""
    if isinstance(value, str):
        cleaned = _NOT_XML.sub("", value)
        return Markup(cleaned) if isinstance(value, Markup) else cleaned
    if isinstance(value, tuple):
        return tuple(_xml_safe(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _xml_safe(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value


def _set_up(document: DocumentType, handout: Handout) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin = section.right_margin = Mm(18)
    styles = document.styles
    _font(styles["Normal"], *BODY_FONT)
    styles["Normal"].font.size = Pt(11)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    styles["Normal"].element.get_or_add_rPr().append(lang)
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        _font(styles[name], *HEADING_FONT)
        styles[name].font.color.rgb = INK
    footer = section.footer.paragraphs[0]
    footer.text = f"{handout.title}（{handout.edition.label}）　第 "
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    shown = OxmlElement("w:r")  # the field's last result; Word and LibreOffice recompute it
    shown.append(OxmlElement("w:t"))
    shown[0].text = "1"
    field.append(shown)
    footer._p.append(field)
    footer.add_run(" 页")


def _font(style, latin: str, east_asian: str) -> None:
    """Give a style explicit Latin and East Asian fonts, dropping theme fonts that override them."""
    style.font.name = latin
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)
    fonts.set(qn("w:eastAsia"), east_asian)


def _cover(document: DocumentType, handout: Handout) -> None:
    _muted(document.add_paragraph(), handout.edition.label)
    document.add_heading(handout.title, level=0)
    if handout.audience:
        document.add_paragraph(f"培训对象：{handout.audience}")
    if handout.date:
        document.add_paragraph(f"培训日期：{handout.date}")
    document.add_paragraph(f"案例数：{len(handout.cases)} 个")
    if handout.intro:
        _HtmlWriter(document).write(handout.intro)
    if not handout.edition.full:
        document.add_paragraph("本学员版不含各案例的处理结果与案例评析，请先阅读案情并思考讨论题。")
    _muted(document.add_paragraph(), f"培训包指纹：{handout.fingerprint}")
    contents = document.add_paragraph()
    contents.add_run("目录").bold = True
    for case in handout.cases:
        document.add_paragraph(f"案例{case.number}　{case.title}", style="List Paragraph")


def _case(document: DocumentType, case: HandoutCase) -> None:
    heading = document.add_heading(f"案例{case.number}　{case.title}", level=1)
    heading.paragraph_format.page_break_before = True
    _muted(document.add_paragraph(), case.id)
    if case.trainee_title:
        _muted(document.add_paragraph(), f"学员版标题：{case.trainee_title}")
    if case.facts:
        table = document.add_table(rows=0, cols=2)
        table.style = document.styles["Table Grid"]
        for fact in case.facts:
            label, value = table.add_row().cells
            label.paragraphs[0].add_run(fact.label).bold = True
            value.text = fact.value
    if case.summary:
        paragraph = document.add_paragraph()
        paragraph.add_run("摘要：").bold = True
        paragraph.add_run(case.summary)
    if case.notes:
        document.add_heading("讲师提示", level=2)
        _HtmlWriter(document).write(case.notes)
    for part in case.parts:
        document.add_heading(part.title, level=2)
        _HtmlWriter(document).write(part.html)
    if case.questions:
        document.add_heading("讨论题", level=2)
        for number, question in enumerate(case.questions, start=1):
            document.add_paragraph(f"{number}. {question}")
    _muted(document.add_paragraph(), f"版本：{case.version}")


def _muted(paragraph: Paragraph, text: str) -> None:
    run = paragraph.add_run(text)
    run.font.size = Pt(9)
    run.font.color.rgb = MUTED


def _properties(document: DocumentType, handout: Handout) -> None:
    stamp = dt.datetime.fromisoformat(handout.stamp).replace(tzinfo=dt.timezone.utc)
    core = document.core_properties
    core.title = f"{handout.title}（{handout.edition.label}）"
    core.subject = handout.edition.label
    core.author = core.last_modified_by = "Casebook"
    core.comments = f"培训包指纹：{handout.fingerprint}"
    core.created = core.modified = stamp
    core.revision = 1


def _rezip(data: bytes, stamp: str) -> bytes:
    """Return the zip with every entry's timestamp set to the stamp's date."""
    day = dt.date.fromisoformat(stamp)
    when = (max(day.year, 1980), day.month, day.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info))
    return out.getvalue()


class _HtmlWriter(HTMLParser):
    """Turn sanitised Markdown HTML (see content/markdown.py) into Word paragraphs and runs."""

    # Case sections are Heading 2 already: a heading inside one (or in notes) sits below them.
    _HEADINGS = {"h2": "Heading 3", "h3": "Heading 3", "h4": "Heading 3", "h5": "Heading 3", "h6": "Heading 3"}
    _BLOCK_ENDS = {"p", "li", "pre", "tr", "dt", "dd", *_HEADINGS}

    def __init__(self, document: DocumentType):
        super().__init__(convert_charrefs=True)
        self.document = document
        self.paragraph: Paragraph | None = None
        self.bold = self.italic = self.quote = self.cells = 0
        self.pre = False
        self.lists: list[list] = []  # [tag, items so far] per open list

    def write(self, html: str) -> None:
        self.feed(str(html))
        self.close()

    def _start(self, style: str | None = None, prefix: str = "") -> None:
        if style is None and self.quote:
            style = "Quote"
        self.paragraph = self.document.add_paragraph(style=style)
        if self.lists:
            self.paragraph.paragraph_format.left_indent = Mm(6 * len(self.lists))
        if prefix:
            self.paragraph.add_run(prefix)

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("ul", "ol"):
            self.lists.append([tag, 0])
        elif tag == "li" and self.lists:
            self.lists[-1][1] += 1
            kind, count = self.lists[-1]
            self._start(prefix="• " if kind == "ul" else f"{count}. ")
        elif tag in ("p", "dt", "dd") and not (self.paragraph is not None and self.lists):
            self._start()
        elif tag in self._HEADINGS:
            self._start(self._HEADINGS[tag])
        elif tag == "pre":
            self._start()
            self.pre = True
        elif tag == "tr":
            self._start()
            self.cells = 0
        elif tag in ("td", "th") and self.paragraph is not None:
            if self.cells:
                self.paragraph.add_run(" ｜ ")
            self.cells += 1
            self.bold += tag == "th"
        elif tag in ("strong", "b"):
            self.bold += 1
        elif tag in ("em", "i"):
            self.italic += 1
        elif tag == "blockquote":
            self.quote += 1
        elif tag == "br" and self.paragraph is not None:
            self.paragraph.add_run().add_break()

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCK_ENDS:
            self.paragraph = None
            self.pre = self.pre and tag != "pre"
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self.paragraph = None
        elif tag in ("strong", "b", "th"):
            self.bold = max(0, self.bold - 1)
        elif tag in ("em", "i"):
            self.italic = max(0, self.italic - 1)
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)

    def handle_data(self, data: str) -> None:
        if not self.pre:
            data = data.replace("\n", " ")
            if self.paragraph is None and not data.strip():
                return
        if self.paragraph is None:
            self._start()
        run = self.paragraph.add_run(data)
        run.bold = True if self.bold else None
        run.italic = True if self.italic else None
