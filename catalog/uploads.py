"""Checks every uploaded distribution file before it is stored: size limit, a known
type by name, and content that really is of that type (a renamed program is refused)."""

import hashlib
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from core import tables

from .vocabularies import UPLOADABLE_FILE_TYPES, FileType, file_type_for_name

SNIFF_BYTES = 64 * 1024
EXECUTABLE_SIGNATURES = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa")
# An archive that unpacks to more than this many times its size is treated as a zip bomb.
MAX_COMPRESSION_RATIO = 100


@dataclass
class CheckedUpload:
    file_type: FileType
    filename: str
    byte_size: int
    checksum_sha256: str


def check_upload(uploaded) -> CheckedUpload:
    """Validate an UploadedFile; raise ValidationError with a German message naming
    what is wrong. Reads the file once to compute size and SHA-256."""
    limit = settings.MAX_UPLOAD_SIZE
    if uploaded.size > limit:
        raise ValidationError(
            _("Die Datei ist %(size)s MB groß; erlaubt sind höchstens %(limit)s MB.")
            % {"size": round(uploaded.size / 2**20, 1), "limit": round(limit / 2**20)},
            code="too_large",
        )
    file_type = file_type_for_name(uploaded.name)
    if file_type is None:
        allowed = ", ".join(sorted({ext for t in UPLOADABLE_FILE_TYPES for ext in t.extensions}))
        raise ValidationError(
            _("Dieser Dateityp wird nicht angenommen. Erlaubt sind: %(allowed)s") % {"allowed": allowed},
            code="type",
        )
    uploaded.seek(0)
    head = uploaded.read(SNIFF_BYTES)
    if head.startswith(EXECUTABLE_SIGNATURES):
        raise ValidationError(_("Die Datei enthält ein ausführbares Programm und wird abgelehnt."), code="executable")
    if not content_matches(file_type, head, uploaded):
        raise ValidationError(
            _("Der Inhalt der Datei passt nicht zur Endung %(ext)s.") % {"ext": file_type.extensions[0]},
            code="content",
        )
    digest = hashlib.sha256()
    size = 0
    uploaded.seek(0)
    for chunk in uploaded.chunks():
        digest.update(chunk)
        size += len(chunk)
    uploaded.seek(0)
    return CheckedUpload(
        file_type=file_type,
        filename=stored_filename(uploaded.name),
        byte_size=size,
        checksum_sha256=digest.hexdigest(),
    )


# File systems allow 255 bytes per name; Django may append "_<7 chars>" to make a name
# unique, and umlauts take two bytes each.
MAX_FILENAME_BYTES = 120


def stored_filename(name: str) -> str:
    """The upload's own name (people recognise it in downloads), without path parts,
    reduced to safe characters and shortened to fit any file system, extension kept."""
    name = get_valid_filename(name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1])
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    suffix = f".{extension[:16]}" if dot else ""
    budget = MAX_FILENAME_BYTES - len(suffix.encode())
    shortened = stem.encode()[:budget].decode(errors="ignore")
    return f"{shortened}{suffix}"


def content_matches(file_type: FileType, head: bytes, uploaded) -> bool:
    code = file_type.code
    if code in ("CSV", "TXT", "JSON", "GEOJSON", "XML"):
        if b"\x00" in head:
            return False
        text = decode_text(head)
        if text is None:
            return False
        stripped = text.lstrip("\ufeff \t\r\n")
        if code in ("JSON", "GEOJSON"):
            return stripped[:1] in ("{", "[")
        if code == "XML":
            return stripped.startswith("<")
        return True
    if code == "PDF":
        return head.startswith(b"%PDF-")
    if code == "PNG":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if code == "JPEG":
        return head.startswith(b"\xff\xd8\xff")
    if code in ("XLSX", "ODS", "ZIP"):
        return head.startswith(b"PK\x03\x04") and zip_is_safe(code, uploaded)
    return False


def decode_text(head: bytes) -> str | None:
    # The last bytes of the sample may cut a multi-byte character in half.
    for encoding in ("utf-8", "cp1252"):
        try:
            return head.decode(encoding)
        except UnicodeDecodeError as error:
            if encoding == "utf-8" and error.start >= len(head) - 3:
                return head[: error.start].decode(encoding)
    return None


def zip_is_safe(code: str, uploaded) -> bool:
    """Whether an archive is what its type says and no obvious bomb. The sizes come from
    the zip's own directory (cheap, and it can lie): core.tables counts the unpacked bytes
    again while reading, which is the real guard. Raises ValidationError for a member
    larger unpacked than the reader would read (TABLE_MAX_UNPACKED_BYTES) or a directory
    too large to load."""
    uploaded.seek(0)
    try:
        tables.check_zip_directory(uploaded)
    except tables.TooLarge:
        raise ValidationError(
            _("Die Datei enthält zu viele Bestandteile und wird abgelehnt."), code="unpacked_too_large"
        ) from None
    finally:
        uploaded.seek(0)
    try:
        with zipfile.ZipFile(uploaded) as archive:
            members = archive.infolist()
            names = {member.filename for member in members}
            unpacked = sum(member.file_size for member in members)
            packed = max(sum(member.compress_size for member in members), 1)
            if unpacked > settings.MAX_UPLOAD_SIZE * 10 or unpacked / packed > MAX_COMPRESSION_RATIO:
                return False
            largest = max((member.file_size for member in members), default=0)
            if largest > settings.TABLE_MAX_UNPACKED_BYTES:
                raise ValidationError(
                    _("Die Datei enthält einen Bestandteil, der entpackt %(size)s MB groß ist; erlaubt sind "
                      "höchstens %(limit)s MB.")
                    % {"size": round(largest / 2**20), "limit": round(settings.TABLE_MAX_UNPACKED_BYTES / 2**20)},
                    code="unpacked_too_large",
                )  # fmt: skip
            if any(name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") for name in names):
                return False
            if code == "XLSX":
                return "[Content_Types].xml" in names and any(name.startswith("xl/") for name in names)
            if code == "ODS":
                return archive.read("mimetype").startswith(b"application/vnd.oasis.opendocument.spreadsheet")
            return True
    except (zipfile.BadZipFile, KeyError, OSError):
        return False
    finally:
        uploaded.seek(0)
