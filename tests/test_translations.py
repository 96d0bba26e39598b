"""Both catalogues translate every message the code and templates use, and are compiled."""

import importlib.util
from pathlib import Path

from flask_babel import gettext

from tests.conftest import make_app

ROOT = Path(__file__).resolve().parent.parent


def test_catalogues_are_complete():
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "tools" / "i18n.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.problems() == []


def test_compiled_catalogue_answers_in_japanese_and_english(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/t.db")
    with app.test_request_context("/", headers={"Accept-Language": "ja"}):
        assert gettext("Open for registration") == "受付中"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert gettext("Open for registration") == "Open for registration"
