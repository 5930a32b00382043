"""The Word reference document the cover's .docx is written with (pandoc --reference-doc).

Pandoc's own reference document sets no page size (Word then uses its default, often US
Letter), and has no header or footer. A council paper is A4, with the title at the top of
each page and "Page x of y" at the foot (review of the sample quarter, minor finding 3). The
reference is pandoc's default with that page set-up added; pandoc copies the reference's
section properties, header and footer into every document it writes.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

A4 = (11906, 16838)  # width, height in twentieths of a point (210 x 297 mm)
MARGIN = 1021  # 18 mm, as the PDF's (templates/report.typ)
HEADER_ID, FOOTER_ID = "rIdQprHeader", "rIdQprFooter"
NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)
RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/{}"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.{}+xml"


def _field(instruction: str) -> str:
    """A Word field (PAGE, NUMPAGES, TITLE) as runs: Word fills it in when it lays out."""
    return (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> {instruction} </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def _text(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def _part(kind: str, paragraph: str) -> str:
    tag = "hdr" if kind == "header" else "ftr"
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:{tag} {NS}>'
        f'<w:p><w:pPr><w:pStyle w:val="{kind.capitalize()}"/>'
        f'<w:rPr><w:sz w:val="16"/></w:rPr></w:pPr>{paragraph}</w:p></w:{tag}>'
    )


HEADER = _part("header", _field("TITLE"))  # the document's title (pandoc sets it from metadata)
FOOTER = _part("footer", _text("Page ") + _field("PAGE") + _text(" of ") + _field("NUMPAGES"))
SECTION = (
    f'<w:sectPr><w:headerReference w:type="default" r:id="{HEADER_ID}"/>'
    f'<w:footerReference w:type="default" r:id="{FOOTER_ID}"/>'
    '<w:footnotePr><w:numRestart w:val="eachSect"/></w:footnotePr>'
    f'<w:pgSz w:w="{A4[0]}" w:h="{A4[1]}"/>'
    f'<w:pgMar w:top="1134" w:right="{MARGIN}" w:bottom="1134" w:left="{MARGIN}" '
    'w:header="567" w:footer="567" w:gutter="0"/></w:sectPr>'
)


def reference_docx(pandoc: str, target: Path) -> Path:
    """Write the A4 reference document, with header and footer, to `target`."""
    default = subprocess.run(
        [pandoc, "--print-default-data-file", "reference.docx"],
        capture_output=True,
        check=True,
    ).stdout
    source = target.with_suffix(".default.docx")
    source.write_bytes(default)
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as out:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "word/document.xml":
                data = re.sub(rb"<w:sectPr>.*?</w:sectPr>", SECTION.encode(), data, flags=re.S)
            elif item.filename == "word/_rels/document.xml.rels":
                data = data.replace(b"</Relationships>", _relationships().encode())
            elif item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", _content_types().encode())
            out.writestr(item, data)
        out.writestr("word/header1.xml", HEADER)
        out.writestr("word/footer1.xml", FOOTER)
    source.unlink()
    return target


def _relationships() -> str:
    return (
        f'<Relationship Type="{RELATIONSHIP.format("header")}" Id="{HEADER_ID}" '
        'Target="header1.xml" />'
        f'<Relationship Type="{RELATIONSHIP.format("footer")}" Id="{FOOTER_ID}" '
        'Target="footer1.xml" /></Relationships>'
    )


def _content_types() -> str:
    return (
        f'<Override PartName="/word/header1.xml" ContentType="{CONTENT_TYPE.format("header")}" />'
        f'<Override PartName="/word/footer1.xml" ContentType="{CONTENT_TYPE.format("footer")}" />'
        "</Types>"
    )
