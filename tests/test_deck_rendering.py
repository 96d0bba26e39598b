"""The activity deck rendered as the agency opens it: LibreOffice (headless) turns it into a
PDF, pdftotext reads every slide back (the Japanese must survive), and pdftoppm draws the
slides as pictures (kept in test-output/deck/ to be looked at)."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.util import Emu

from seminar_app.domain import Delivery, HostType, Level, Series
from seminar_app.reports import plans
from seminar_app.reports.activity import (
    SLIDE_HEIGHT,
    SLIDE_WIDTH,
    SLIDES,
    Contact,
    DeckOptions,
    build_deck,
)
from seminar_app.reports.services import fiscal_year_report
from tests.test_activity_deck import AGENCY, FY, NOW, held_seminar
from tests.test_dispatch_exports import dispatch_year  # noqa: F401  (a fixture)
from tests.test_dispatch_figures import jst, receive
from tests.test_fiscal_year_report import three_years  # noqa: F401  (a fixture)
from tests.test_satisfaction import answer_survey
from tests.waiting import patience

SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"
PICTURES = Path(__file__).resolve().parents[1] / "test-output" / "deck"

pytestmark = pytest.mark.skipif(
    not (Path(SOFFICE).exists() and shutil.which("pdftotext") and shutil.which("pdftoppm")),
    reason="LibreOffice Impress and poppler-utils render the deck",
)

LONG_TITLE = "営業秘密の漏えいを防ぐ社内規程の作り方と秘密保持契約書の雛形の使い方（事例研究つき）"
COMMENTARY = {
    "trend": "相談件数は前年度から増加した。オンライン相談が定着し、遠方の企業からの相談が増えた。",
    "programme": "中級セミナーの満足度が高く、次年度も継続して開催する。",
    "targets": "参加者数は目標を上回ったが、相談件数は目標に届かなかった。",
    "dispatch": "講師派遣の依頼は県外の企業からも寄せられ、オンラインでの実施が定着した。",
}
#: Prefectures of further lecturer-dispatch requests: more than fit beside a commentary.
DISPATCH_PREFECTURES = ("04", "11", "14", "22", "40")
LINKS = (
    ("営業秘密管理指針（経済産業省）", "https://www.meti.go.jp/policy/economy/chizai/chiteki/"),
    ("IP ePlat（eラーニング）", "https://ipeplat.inpit.go.jp/"),
)
CONTACT = Contact(
    desk_name="営業秘密・知財戦略相談窓口",
    phone="03-0000-0000",
    extension="1234",
    address="東京都千代田区霞が関3-4-3",
)


@pytest.fixture
def rich_year(db_session, make_seminar, three_years, dispatch_year):  # noqa: F811
    """The three years of consultations (totals, both, rows over two desks), a programme
    with a long title, a seminar nobody counted, answers and targets, and lecturer dispatch
    in every state from more prefectures than its slide has rows for."""
    for day, code in enumerate(DISPATCH_PREFECTURES, start=1):
        receive(db_session, jst(10, day, year=2025), prefecture=code, attribute="university")
    seminars = [
        held_seminar(
            make_seminar,
            datetime(2025, 5 + number, 10, 5, tzinfo=UTC),
            HostType.AGENCY,
            Delivery.ONLINE,
            level,
            20 + number,
            series=Series.TRADE_SECRET_IP_STRATEGY,
            title=LONG_TITLE if number == 0 else f"営業秘密・知財戦略セミナー 第{number + 1}回",
        )
        for number, level in enumerate(
            [Level.BEGINNER, Level.INTERMEDIATE, Level.WORKSHOP, Level.BEGINNER_INTERMEDIATE]
        )
    ]
    held_seminar(
        make_seminar,
        datetime(2025, 10, 1, 5, tzinfo=UTC),
        HostType.IN_COMPANY,
        Delivery.IN_PERSON,
        None,
        None,
    )
    answer_survey(db_session, seminars[1], [5, 4, 4, 2])
    plans.set_targets(
        db_session,
        FY,
        {"consultations": 120, "seminars": 6, "participants": 80, "satisfaction": 80},
        by=None,
    )
    db_session.flush()
    return db_session


def render(data: bytes, directory: Path) -> tuple[list[str], list[str], list[Path]]:
    """The text of each page in reading order and as laid out, and a picture of each, as
    LibreOffice lays the deck out."""
    source = directory / "activity.pptx"
    source.write_bytes(data)
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{directory / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(directory),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=patience(600),
    )
    pdf = directory / "activity.pdf"
    text, layout = (
        subprocess.run(
            ["pdftotext", *mode, str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
        for mode in ([], ["-layout"])
    )
    PICTURES.mkdir(parents=True, exist_ok=True)
    for old in PICTURES.glob("slide-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(PICTURES / "slide")], check=True)
    pictures = sorted(PICTURES.glob("slide-*.png"))
    return text.split("\f")[:-1], layout.split("\f")[:-1], pictures


def test_rendered_deck_reads_back_in_japanese_and_nothing_leaves_a_slide(rich_year, tmp_path):
    options = DeckOptions(
        agency_name=AGENCY,
        commentary=COMMENTARY,
        contact=CONTACT,
        links=LINKS,
        desk_names=("本部窓口", "関西窓口"),
    )
    data = build_deck(fiscal_year_report(rich_year, FY, NOW), options=options)

    deck = Presentation(io.BytesIO(data))
    for number, slide in enumerate(deck.slides, start=1):
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0, (number, shape.name)
            assert shape.left + shape.width <= SLIDE_WIDTH, (number, shape.name)
            assert shape.top + shape.height <= SLIDE_HEIGHT + Emu(1), (number, shape.name)

    pages, laid_out, pictures = render(data, tmp_path)
    assert len(pages) == len(deck.slides) == len(pictures)
    # pdftotext spaces Latin from Japanese and breaks lines where the slide does: compare
    # without white space.
    flat = ["".join(page.split()) for page in pages]
    everything = "".join(flat)
    for expected in (
        "2025年度（令和7年度） 活動状況",
        "相談窓口の概要",
        "気づき",
        "秘密保持契約書等雛形",
        "営業秘密・知財戦略セミナー（中級）",
        "満足度 75.0%",
        "年度計画に対する実績",
        "講師派遣の実施状況",
        "大学・研究機関",
        "ほか3都道府県",
        "【所感】相談件数は前年度から増加した。",
        "営業秘密・知財戦略相談窓口",
        "03-0000-0000（内線 1234）",
        "https://ipeplat.inpit.go.jp/",
    ):
        assert "".join(expected.split()) in everything, expected
    for key in COMMENTARY:
        (page,) = [page for page in flat if page.startswith(SLIDES[key])]
        assert "【所感】" in page
    # Every content slide's lowest line is its footer, the deck's title and its number:
    # nothing ran below it.
    for number, page in enumerate(laid_out[1:], start=2):
        last = "".join(page.strip().splitlines()[-1].split())
        assert last.endswith(f"活動状況{number}"), (number, page[-300:])
    # A year's name in a table's header breaks before its era, never inside it.
    for page in pages:
        for line in page.splitlines():
            words = "".join(line.split())
            assert not words.endswith(("（令和", "（平成", "令和", "年度（令和")), line
