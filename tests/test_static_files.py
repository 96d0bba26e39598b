"""Static files served well (issue 21, item 8): fingerprinted names a year in caches,
gzip and brotli where the client takes them, by WhiteNoise; the plain names still answer,
briefly cached; every answer carries the app's security headers."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import brotli

from seminar_app import static_files

STATIC = Path(__file__).resolve().parent.parent / "seminar_app" / "static"


def stylesheet_url(client) -> str:
    html = client.get("/").get_data(as_text=True)
    [url] = re.findall(r'href="(/static/app\.[0-9a-f]{12}\.css)"', html)
    return url


def test_pages_name_static_files_by_their_content(client):
    url = stylesheet_url(client)
    digest = hashlib.sha256((STATIC / "app.css").read_bytes()).hexdigest()
    assert url == f"/static/app.{digest[:12]}.css"


def test_a_fingerprinted_file_is_cached_for_a_year_and_compressed(client):
    url = stylesheet_url(client)
    source = (STATIC / "app.css").read_bytes()
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and plain.data == source
    assert plain.headers["Cache-Control"] == "max-age=31536000, public, immutable"
    assert plain.headers["Content-Type"].startswith("text/css")
    assert plain.headers.get("Content-Encoding") is None
    brotli_answer = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert brotli_answer.headers["Content-Encoding"] == "br"
    assert brotli.decompress(brotli_answer.data) == source
    assert len(brotli_answer.data) < len(source) / 2
    gzip_answer = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert gzip_answer.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(gzip_answer.data) == source
    assert "Accept-Encoding" in gzip_answer.headers["Vary"]
    # The app's headers, on a file as on a page.
    for answer in (plain, brotli_answer):
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert "object-src 'none'" in answer.headers["Content-Security-Policy"]


def test_a_plain_name_still_answers_but_briefly_cached(client):
    answer = client.get("/static/desk.js")
    assert answer.status_code == 200
    assert answer.data == (STATIC / "desk.js").read_bytes()
    assert answer.headers["Cache-Control"] == f"max-age={static_files.PLAIN_MAX_AGE}, public"


def test_a_changed_file_gets_a_new_name_and_one_build_serves_the_same_files(tmp_path):
    source = tmp_path / "static"
    source.mkdir()
    (source / "site.css").write_text("body { color: #123; }\n" * 50)
    (source / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    first, manifest = static_files.build(source, tmp_path / "build")
    again, same = static_files.build(source, tmp_path / "build")
    assert (first, manifest) == (again, same)
    assert (first / manifest["site.css"]).read_text() == (source / "site.css").read_text()
    assert (first / (manifest["site.css"] + ".br")).exists()
    assert (first / (manifest["site.css"] + ".gz")).exists()
    assert not (first / (manifest["logo.png"] + ".gz")).exists()  # images are not worth it
    (source / "site.css").write_text("body { color: #456; }\n" * 50)
    changed, new = static_files.build(source, tmp_path / "build")
    assert changed != first and new["site.css"] != manifest["site.css"]
    assert new["logo.png"] == manifest["logo.png"]
