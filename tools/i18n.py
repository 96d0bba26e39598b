"""Keep the translation catalogues in step with the code.

    python tools/i18n.py update   # extract, merge into ja and en, fill en from the source text
    python tools/i18n.py check    # fail when a message lacks a translation or is fuzzy

English is the source language of the messages, so the English catalogue
repeats each message; Japanese is translated by hand.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "seminar_app" / "translations"
LANGUAGES = ("ja", "en")


def extract(target: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--sort-output",
            "-o",
            str(target),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )


def catalogue_path(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def _translated(message) -> bool:
    if isinstance(message.string, tuple):
        return all(message.string)
    return bool(message.string)


def problems() -> list[str]:
    """Messages of the code that some catalogue does not translate."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        extract(pot)
        with pot.open("rb") as handle:
            template = read_po(handle)
    found = []
    for language in LANGUAGES:
        with catalogue_path(language).open("rb") as handle:
            catalogue = read_po(handle)
        for message in template:
            if not message.id:
                continue
            entry = catalogue.get(message.id)
            if entry is None or not _translated(entry):
                found.append(f"{language}: missing {message.id!r}")
            elif entry.fuzzy:
                found.append(f"{language}: fuzzy {message.id!r}")
    return found


def update() -> None:
    pot = TRANSLATIONS / "messages.pot"
    extract(pot)
    for language in LANGUAGES:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "babel.messages.frontend",
                "update",
                "-i",
                str(pot),
                "-d",
                str(TRANSLATIONS),
                "-l",
                language,
                "--no-fuzzy-matching",
                "--ignore-obsolete",
            ],
            check=True,
            capture_output=True,
        )
    path = catalogue_path("en")
    with path.open("rb") as handle:
        english = read_po(handle)
    for message in english:
        if message.id and not _translated(message):
            message.string = message.id
    with path.open("wb") as handle:
        write_po(handle, english, width=100, omit_header=False)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update()
    found = problems()
    for line in found:
        print(line)
    if command == "check" and found:
        sys.exit(1)
