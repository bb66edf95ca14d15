"""Test helpers that measure a real process: `measured(target, *args)` runs the function
`target` ("package.module:function") in a fresh Python process with the test settings
and returns its JSON-able result and the process's own peak resident memory (VmHWM from
/proc, Linux), so a memory bound is measured, not estimated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_RUNNER = """
import json, os, sys, importlib
import django
django.setup()
module, _, name = sys.argv[1].partition(":")
result = getattr(importlib.import_module(module), name)(*json.loads(sys.argv[2]))
peak = 0
with open("/proc/self/status") as status:
    for line in status:
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) * 1024
print(json.dumps({"result": result, "peak_rss": peak}, default=str))
"""


def measured(target: str, *args, timeout: float = 600, env: dict | None = None) -> tuple[object, int]:
    """(result, peak RSS in bytes) of `target(*args)` run in its own process. Raises
    subprocess.CalledProcessError if it fails, TimeoutExpired past `timeout` seconds."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test", **(env or {})}
    completed = subprocess.run(  # noqa: S603 – the tests name the function
        [sys.executable, "-c", _RUNNER, target, json.dumps(args)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    return report["result"], report["peak_rss"]


# -- Hostile and large tables, generated in the test (never committed blobs) -----------------

_XLSX_MEMBERS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Daten" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}
_SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>Stadtteil</t></is></c>'
    b'<c r="B1" t="inlineStr"><is><t>Anzahl</t></is></c></row>'
)
_SHEET_END = b"</sheetData></worksheet>"


def write_row_bomb(path, rows: int) -> int:
    """Write the probe's XLSX row bomb to `path`: a header row, then `rows` empty `<row/>`
    elements, plus a stored member of random bytes sized so that the archive-wide
    compression ratio stays just under 100 (uploads.MAX_COMPRESSION_RATIO), which is why
    the upload check lets it pass. Returns the file's size in bytes."""
    import zipfile

    chunk = b"<row/>" * 100_000
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in _XLSX_MEMBERS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_START)
            for start in range(0, rows, 100_000):
                sheet.write(chunk if rows - start >= 100_000 else b"<row/>" * (rows - start))
            sheet.write(_SHEET_END)
        members = archive.infolist()
        unpacked = sum(member.file_size for member in members)
        packed = sum(member.compress_size for member in members)
        # (unpacked + r) / (packed + r) = 96  =>  r = (unpacked - 96 packed) / 95
        padding = max(0, (unpacked - 96 * packed) // 95 + 1)
        archive.writestr(zipfile.ZipInfo("docProps/thumbnail.bin"), os.urandom(padding), zipfile.ZIP_STORED)
    return os.path.getsize(path)


def write_large_csv(path, rows: int) -> int:
    """Write a semicolon CSV with a header and `rows` data rows of text, whole numbers,
    decimals with a comma and dates, as a city's statistics office exports them. Returns
    the file's size in bytes."""
    districts = ("Lindenau", "Altstadt", "Nordvorstadt", "Süd", "Ost")
    with open(path, "w", encoding="utf-8", newline="") as target:
        target.write("Stadtteil;Jahr;Anzahl;Anteil;Stichtag\r\n")
        for number in range(rows):
            target.write(
                f"{districts[number % 5]};{2000 + number % 25};{number % 9973};"
                f"{number % 100},{number % 10};{2000 + number % 25}-12-31\r\n"
            )
    return os.path.getsize(path)
