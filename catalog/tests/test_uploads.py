import hashlib
import io
import os
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import services
from catalog.models import Distribution


def csv_upload(name="baeume.csv", content="baum_id;art;hoehe_m\n1;Linde;18\n2;Eiche;22\n"):
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def test_a_csv_upload_is_stored_with_size_and_checksum(dataset_a, steward_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    distribution = services.add_distribution(dataset_a, by=steward_a, title="Baumkataster CSV", upload=csv_upload())

    assert distribution.format == "CSV"
    assert distribution.media_type == "text/csv"
    assert distribution.byte_size == 42
    assert distribution.checksum_sha256 == hashlib.sha256(b"baum_id;art;hoehe_m\n1;Linde;18\n2;Eiche;22\n").hexdigest()
    assert (tmp_path / distribution.file.name).read_bytes().startswith(b"baum_id;")
    assert str(dataset_a.identifier) in distribution.file.name


def test_a_file_with_a_name_too_long_for_the_file_system_is_stored_under_a_shortened_name(
    dataset_a, steward_a, settings, tmp_path
):
    # 200 umlauts are 400 bytes: longer than any file system allows in one name.
    settings.MEDIA_ROOT = tmp_path
    distribution = services.add_distribution(
        dataset_a, by=steward_a, title="Lange Namen", upload=csv_upload(name="Bäume" * 40 + ".csv")
    )

    stored = distribution.file.name.rsplit("/", 1)[-1]
    assert stored.startswith("Bäume")
    assert stored.endswith(".csv")
    assert len(stored.encode()) <= 120
    assert (tmp_path / distribution.file.name).read_bytes().startswith(b"baum_id;")


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("tool.csv", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "executable"),
        ("tool.xlsx", b"\x7fELF\x02\x01\x01\x00", "executable"),
        ("script.csv", b"#!/bin/sh\nrm -rf /\n", "executable"),
        ("setup.exe", b"MZ\x90\x00", "type"),
        ("bild.png", b"not a png at all", "content"),
        ("tabelle.xlsx", b"PK\x03\x04 but not really a zip", "content"),
        ("daten.json", b"Hallo Welt", "content"),
        ("binaer.csv", b"a;b\n\x00\x01\x02", "content"),
    ],
)
def test_files_whose_content_does_not_match_are_refused(dataset_a, steward_a, name, content, code, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationError) as error:
        services.add_distribution(dataset_a, by=steward_a, title="x", upload=SimpleUploadedFile(name, content))
    assert error.value.code == code
    assert not Distribution.objects.exists()
    assert not any(tmp_path.rglob("*.*")), "nothing is written for a refused file"


def test_a_real_xlsx_passes_the_content_check(dataset_a, steward_a, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("tabelle.xlsx", xlsx_bytes())
    assert services.add_distribution(dataset_a, by=steward_a, title="x", upload=upload).format == "XLSX"


def test_a_zip_bomb_is_refused(dataset_a, steward_a, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 20_000_000)
    with pytest.raises(ValidationError) as error:
        services.add_distribution(
            dataset_a, by=steward_a, title="x", upload=SimpleUploadedFile("bombe.xlsx", buffer.getvalue())
        )
    assert error.value.code == "content"


def test_the_size_limit_is_enforced(dataset_a, steward_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MAX_UPLOAD_SIZE = 1024
    with pytest.raises(ValidationError) as error:
        services.add_distribution(dataset_a, by=steward_a, title="x", upload=csv_upload(content="a;b\n" * 400))
    assert error.value.code == "too_large"
    assert "höchstens" in error.value.messages[0]


def test_a_link_needs_a_format_and_no_file(dataset_a, steward_a):
    with pytest.raises(ValidationError):
        services.add_distribution(dataset_a, by=steward_a, title="WMS", access_url="https://geo.example/wms")
    distribution = services.add_distribution(
        dataset_a, by=steward_a, title="WMS", access_url="https://geo.example/wms", format="WMS_SRVC", kind="service"
    )
    assert not distribution.is_upload
    assert distribution.media_type == "application/vnd.ogc.wms_xml"


def test_path_tricks_in_file_names_are_neutralised(dataset_a, steward_a, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    distribution = services.add_distribution(
        dataset_a, by=steward_a, title="x", upload=csv_upload(name="../../etc/passwd.csv")
    )
    assert ".." not in distribution.file.name
    assert (tmp_path / distribution.file.name).resolve().is_relative_to(tmp_path)


def test_an_archive_member_above_the_unpacked_cap_is_refused(dataset_a, steward_a, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    settings.TABLE_MAX_UNPACKED_BYTES = 2**20
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        # Hex text compresses about 2:1, far below the archive-wide ratio limit, but unpacks to 2 MB.
        archive.writestr("xl/worksheets/sheet1.xml", os.urandom(2**20 // 10).hex() * 10)
    upload = SimpleUploadedFile("tabelle.xlsx", buffer.getvalue())

    with pytest.raises(ValidationError) as error:
        services.add_distribution(dataset_a, by=steward_a, title="x", upload=upload)
    assert error.value.code == "unpacked_too_large"
    assert "entpackt 2 MB groß" in error.value.messages[0]
