"""The Word reference document: A4, a header with the title, "Page x of y" in the footer."""

import re
import zipfile

import pypandoc

from qprlib.word import reference_docx


def test_a_docx_written_with_the_reference_is_a4_with_header_and_page_numbers(tmp_path):
    # Review, minor 3: cover.docx had no w:pgSz (Word's default, often Letter), no header,
    # no footer and no page numbers.
    reference = reference_docx(pypandoc.get_pandoc_path(), tmp_path / "reference.docx")
    out = tmp_path / "out.docx"
    pypandoc.convert_text(
        "Text", "docx", format="markdown", outputfile=str(out),
        extra_args=[f"--reference-doc={reference}", "--metadata=title:Q2"],
    )  # fmt: skip
    with zipfile.ZipFile(out) as docx:
        document = docx.read("word/document.xml").decode()
        section = re.search(r"<w:sectPr>.*?</w:sectPr>", document, flags=re.S)[0]
        size = dict(re.findall(r'w:([wh])="(\d+)"', re.search(r"<w:pgSz [^>]*>", section)[0]))
        assert size == {"w": "11906", "h": "16838"}  # A4 in twentieths of a point
        assert "headerReference" in section and "footerReference" in section
        footer = docx.read("word/footer1.xml").decode()
        assert " PAGE " in footer and " NUMPAGES " in footer and "Page " in footer
        assert " TITLE " in docx.read("word/header1.xml").decode()
