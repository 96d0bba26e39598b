"""Storage of uploaded materials and the checks on what may be uploaded."""

import io
import zipfile

import pytest
from openpyxl import Workbook

from seminar_app.materials.storage import FilesystemStorage, content_key
from seminar_app.materials.validation import UploadRefused, check_upload

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LIMIT = 1024 * 1024


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


def test_files_are_named_by_content_and_stored_once(tmp_path):
    storage = FilesystemStorage(tmp_path)
    key = storage.save(PDF)
    assert key == content_key(PDF) and storage.save(PDF) == key
    assert storage.read(key) == PDF
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [key]


def test_a_failed_write_leaves_no_file(tmp_path, monkeypatch):
    storage = FilesystemStorage(tmp_path)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", crash)
    with pytest.raises(OSError):
        storage.save(PDF)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_keys_cannot_reach_outside_the_folder(tmp_path):
    with pytest.raises(ValueError):
        FilesystemStorage(tmp_path).read("../../etc/passwd")


def test_japanese_names_and_real_content_are_accepted():
    upload = check_upload("第1回_営業秘密の基礎.pdf", PDF, LIMIT)
    assert upload.filename == "第1回_営業秘密の基礎.pdf"
    assert upload.content_type == "application/pdf"
    assert check_upload("演習シート.xlsx", xlsx_bytes(), LIMIT).content_type.endswith("sheet")


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("資料.pdf", b"", "empty"),
        ("資料.pdf", PDF * 40_000, "too-large"),
        ("資料.pdf", b"\x89PNG\r\n\x1a\n....", "content-mismatch"),
        ("資料.docx", xlsx_bytes(), "content-mismatch"),
        ("資料.zip", b"PK\x03\x04 not really a zip", "content-mismatch"),
        ("資料.exe", b"MZ\x90\x00", "kind"),
        ("../../etc/passwd.pdf", PDF, "path"),
        ("..\\evil.pdf", PDF, "path"),
        ("資料\r\n.pdf", PDF, "control-characters"),
        ("資料\u202efdp.exe", PDF, "control-characters"),
        ("", PDF, "no-name"),
        ("あ" * 201 + ".pdf", PDF, "name-too-long"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(name, data, code):
    with pytest.raises(UploadRefused) as caught:
        check_upload(name, data, LIMIT)
    assert caught.value.code == code


def test_zip_of_anything_is_a_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("memo.txt", "中身")
    assert check_upload("配布資料一式.zip", buffer.getvalue(), LIMIT).content_type == (
        "application/zip"
    )
