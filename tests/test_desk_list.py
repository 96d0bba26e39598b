"""The desk lists everyone expected, filtered by the 五十音 row of their reading."""

from __future__ import annotations

import lxml.html
import pytest

from seminar_app.attendance import services
from seminar_app.domain import CheckInMethod, Role
from seminar_app.timeutil import utcnow
from tests.conftest import login
from tests.registration_helpers import register


@pytest.mark.parametrize(
    ("reading", "row"),
    [
        ("あおき はなこ", "あ"),
        ("ガトウ", "か"),  # katakana, voiced
        ("ぱく", "は"),
        ("っと", "た"),
        ("ゆうき", "や"),
        ("わたなべ", "わ"),
        ("", "other"),  # a name in Latin letters has no reading
        ("smith", "other"),
    ],
)
def test_the_row_of_a_reading_is_its_first_sounds(reading, row):
    assert services.kana_row(reading) == row


def people(db_session, seminar):
    made = {}
    for name, kana in (
        ("加藤 一郎", "かとう いちろう"),
        ("後藤 二郎", "ごとう じろう"),
        ("佐藤 三郎", "さとう さぶろう"),
        ("John Smith", ""),
    ):
        made[name] = register(db_session, seminar, name=name, name_kana=kana)
    return made


def test_the_list_is_in_kana_order_and_counts_each_row(db_session, make_seminar):
    seminar = make_seminar()
    made = people(db_session, seminar)
    services.admit(
        db_session,
        made["後藤 二郎"],
        seminar.id,
        by=None,
        method=CheckInMethod.SEARCH,
        desk="A",
        now=utcnow(),
    )
    everyone, rows = services.desk_list(db_session, seminar.id)
    assert [registration.name for registration, _ in everyone][1:] == [
        "加藤 一郎",
        "後藤 二郎",
        "佐藤 三郎",
    ]
    assert [(row.row, row.expected, row.checked_in) for row in rows] == [
        ("か", 2, 1),
        ("さ", 1, 0),
        ("other", 1, 0),
    ]
    ka, _rows = services.desk_list(db_session, seminar.id, "か")
    assert [registration.name for registration, _ in ka] == ["加藤 一郎", "後藤 二郎"]


def test_the_desk_page_shows_everyone_and_filters_by_row(
    client, db_session, make_seminar, make_user
):
    seminar = make_seminar()
    people(db_session, seminar)
    login(client, make_user(Role.RECEPTION))
    page = lxml.html.fromstring(client.get(f"/desk/{seminar.id}").get_data(as_text=True))
    listed = page.xpath("//section[contains(@class,'desk-list')]//li//strong/text()")
    assert len(listed) == 4
    filters = page.xpath("//nav[contains(@class,'kana-rows')]/a")
    assert [" ".join(link.text_content().split()) for link in filters] == [
        "すべて 0/4",
        "か行 0/2",
        "さ行 0/1",
        "その他 0/1",
    ]
    page = lxml.html.fromstring(client.get(f"/desk/{seminar.id}?row=さ").get_data(as_text=True))
    listed = page.xpath("//section[contains(@class,'desk-list')]//li//strong/text()")
    assert listed == ["佐藤 三郎"]
