"""Static files served well: each under a name that carries its content's fingerprint
(app.3f2a9c1b.css), kept by browsers and proxies for a year, compressed with gzip and, where
the client takes it, brotli. WhiteNoise serves them in front of Flask; this module gives
them their names.

At start the files of seminar_app/static are copied, with their fingerprinted names beside
their own, into a build folder of the instance named after the whole set's digest, and
compressed there (whitenoise.compress: .gz and .br beside each file worth it). A folder
already built for the same files is used as it is, so that several workers or app builds
share one; two building at once both finish, one's folder is kept. url_for("static", …)
gives the fingerprinted name; the plain names stay served, cached briefly, for whatever
asks for them by name.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

#: How long a file asked for by its plain name is kept.
PLAIN_MAX_AGE = 60


class StaticFiles(WhiteNoise):
    #: How long a fingerprinted file is kept: a year, and immutable.
    FOREVER = 365 * 24 * 3600


def fingerprinted(name: str, digest: str) -> str:
    """app.css → app.<first 12 hex of its SHA-256>.css (dir/x.js → dir/x.<hash>.js)."""
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        return f"{name}.{digest[:12]}"
    return f"{stem}.{digest[:12]}.{suffix}"


def _sources(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def build(source: Path, into: Path) -> tuple[Path, dict[str, str]]:
    """The build folder for `source`'s files under `into`, made if needed, and the manifest
    (plain name → fingerprinted name)."""
    files = _sources(source)
    manifest = {
        name: fingerprinted(name, hashlib.sha256(data).hexdigest()) for name, data in files.items()
    }
    whole = hashlib.sha256("\n".join(sorted(manifest.values())).encode()).hexdigest()[:16]
    target = into / whole
    if not target.is_dir():
        into.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".building-", dir=into))
        compressor = Compressor(quiet=True)
        for name, data in files.items():
            for written in (name, manifest[name]):
                path = scratch / written
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                if compressor.should_compress(written):
                    compressor.compress(str(path))
        try:
            os.rename(scratch, target)
        except OSError:  # another process built the same files first: theirs is kept
            shutil.rmtree(scratch, ignore_errors=True)
    return target, manifest


def install(app: Flask, add_headers: Callable[[Any], None]) -> None:
    """Serve the app's static files through WhiteNoise under fingerprinted names;
    `add_headers` sets on each file's headers what every answer of the app carries."""
    assert app.static_folder is not None and app.static_url_path is not None
    folder, manifest = build(Path(app.static_folder), Path(app.instance_path) / "static-build")
    immutable = {f"{app.static_url_path}/{name}" for name in manifest.values()}

    @app.url_defaults
    def fingerprint(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = manifest.get(values["filename"], values["filename"])

    app.wsgi_app = StaticFiles(  # type: ignore[method-assign]
        app.wsgi_app,
        root=str(folder),
        prefix=app.static_url_path,
        max_age=PLAIN_MAX_AGE,
        immutable_file_test=lambda _path, url: url in immutable,
        add_headers_function=lambda headers, _path, _url: add_headers(headers),
    )
