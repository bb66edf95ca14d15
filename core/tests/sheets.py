"""Hand-written XLSX files for the reader's tests: a sheet's XML exactly as given (gaps,
jumps, bombs), with optional shared strings and styles, zipped like Excel does."""

from __future__ import annotations

import io
import zipfile

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def workbook_members(*, shared_strings: bool = False, styles: bool = False, date1904: bool = False) -> dict:
    """The package parts around one worksheet (xl/worksheets/sheet1.xml)."""
    related = [("rId1", "worksheet", "worksheets/sheet1.xml")]
    if shared_strings:
        related.append(("rId2", "sharedStrings", "sharedStrings.xml"))
    if styles:
        related.append(("rId3", "styles", "styles.xml"))
    relationships = "".join(
        f'<Relationship Id="{rid}" Type="{DOCUMENT}/{kind}" Target="{target}"/>' for rid, kind, target in related
    )
    properties = '<workbookPr date1904="1"/>' if date1904 else ""
    return {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELATIONSHIPS}">'
            f'<Relationship Id="rId1" Type="{DOCUMENT}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{DOCUMENT}">{properties}'
            '<sheets><sheet name="Daten" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELATIONSHIPS}">{relationships}'
            "</Relationships>"
        ),
    }


def xlsx_with_sheet(
    rows_xml: str | bytes,
    *,
    shared_strings: list[str] | None = None,
    styles_xml: str | None = None,
    date1904: bool = False,
    stored: bool = False,
) -> bytes:
    """An XLSX whose first sheet's <sheetData> holds `rows_xml` verbatim."""
    rows_xml = rows_xml.encode() if isinstance(rows_xml, str) else rows_xml
    members = workbook_members(
        shared_strings=shared_strings is not None, styles=styles_xml is not None, date1904=date1904
    )
    if shared_strings is not None:
        items = "".join(f"<si><t>{text}</t></si>" for text in shared_strings)
        members["xl/sharedStrings.xml"] = f'<sst xmlns="{MAIN}" count="{len(shared_strings)}">{items}</sst>'
    if styles_xml is not None:
        members["xl/styles.xml"] = f'<styleSheet xmlns="{MAIN}">{styles_xml}</styleSheet>'
    buffer = io.BytesIO()
    compression = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'.encode()
            + rows_xml
            + b"</sheetData></worksheet>",
        )
    return buffer.getvalue()
