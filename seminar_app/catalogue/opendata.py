"""The catalogue as open data in the Digital Agency's standard dataset for events
(自治体標準オープンデータセット「イベント一覧」): its columns in its order, dates as
YYYY-MM-DD and times as hh:mm in Japan time, UTF-8 with a BOM (exports.to_csv).

One row per public seminar of a fiscal year (cancelled ones too, said so in 開始日時特記事項
and 備考). What the dataset asks and the system does not hold (a reading of the title, a
latitude) is left empty, as the dataset allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..database import DbSession
from ..domain import Delivery, HostType, SeminarStatus
from ..reference import PREFECTURES
from ..timeutil import fiscal_year_bounds, to_jst
from ..urls import absolute_url
from .models import Seminar
from .services import public_condition

#: The dataset's columns, in its order.
COLUMNS = (
    "都道府県コード又は市区町村コード",
    "NO",
    "都道府県名",
    "市区町村名",
    "イベント名",
    "イベント名_カナ",
    "イベント名_英語",
    "開始日",
    "終了日",
    "開始時間",
    "終了時間",
    "開始日時特記事項",
    "説明",
    "料金(基本)",
    "料金(詳細)",
    "連絡先名称",
    "連絡先電話番号",
    "連絡先内線番号",
    "主催者",
    "場所名称",
    "住所",
    "方書",
    "緯度",
    "経度",
    "アクセス方法",
    "駐車場情報",
    "定員",
    "参加申込終了日",
    "参加申込終了時間",
    "参加申込方法",
    "URL",
    "備考",
)

DELIVERY_WORDS = {
    Delivery.ONLINE: "オンライン開催",
    Delivery.IN_PERSON: "会場開催",
    Delivery.HYBRID: "会場・オンライン併用（ハイブリッド）",
}


@dataclass(frozen=True)
class Publisher:
    """Who publishes the dataset: its local government code (6 digits, JIS X 0402 with its
    check digit; a prefecture's ends in 0001), and the contact the rows name."""

    area_code: str
    contact: str
    phone: str
    extension: str

    @property
    def prefecture(self) -> str:
        return PREFECTURES.get(self.area_code[:2], ("", ""))[0]


def publisher() -> Publisher:
    config = current_app.config
    return Publisher(
        area_code=config["OPEN_DATA_AREA_CODE"],
        contact=config["DESK_CONTACT_NAME"] or config["AGENCY_NAME"],
        phone=config["DESK_CONTACT_PHONE"],
        extension=config["DESK_CONTACT_EXTENSION"],
    )


def _day(seminar_moment) -> str:
    return to_jst(seminar_moment).strftime("%Y-%m-%d")


def _time(seminar_moment) -> str:
    return to_jst(seminar_moment).strftime("%H:%M")


def _capacity(seminar: Seminar) -> str:
    if seminar.capacity is None:
        return ""
    if seminar.delivery == Delivery.HYBRID:
        online = "定員なし" if seminar.online_capacity is None else f"{seminar.online_capacity}名"
        return f"会場 {seminar.capacity}名、オンライン {online}"
    return f"{seminar.capacity}名"


def _row(seminar: Seminar, source: Publisher) -> list[str]:
    cancelled = seminar.status == SeminarStatus.CANCELLED
    closes = seminar.registration_closes_at or seminar.starts_at
    host = (
        seminar.host_organization
        if seminar.host_type == HostType.EXTERNAL and seminar.host_organization
        else current_app.config["AGENCY_NAME"]
    )
    place = seminar.venue if seminar.delivery != Delivery.ONLINE and seminar.venue else "オンライン"
    notes = [str(seminar.series.label)]
    if seminar.level is not None:
        notes.append(str(seminar.level.label))
    notes.append(DELIVERY_WORDS[seminar.delivery])
    if cancelled:
        notes.append("中止")
    values: dict[str, str] = {
        "都道府県コード又は市区町村コード": source.area_code,
        "NO": str(seminar.id),
        "都道府県名": source.prefecture,
        "イベント名": seminar.title,
        "イベント名_英語": seminar.title_en or "",
        "開始日": _day(seminar.starts_at),
        "終了日": _day(seminar.ends_at),
        "開始時間": _time(seminar.starts_at),
        "終了時間": _time(seminar.ends_at),
        "開始日時特記事項": "中止" if cancelled else "",
        "説明": seminar.description,
        "料金(基本)": "無料",
        "連絡先名称": source.contact,
        "連絡先電話番号": source.phone,
        "連絡先内線番号": source.extension,
        "主催者": host,
        "場所名称": place,
        "定員": _capacity(seminar),
        "参加申込終了日": "" if not seminar.takes_registrations else _day(closes),
        "参加申込終了時間": "" if not seminar.takes_registrations else _time(closes),
        "参加申込方法": "ウェブサイトの申込フォームから" if seminar.takes_registrations else "",
        "URL": absolute_url("catalogue.detail", slug=seminar.slug),
        "備考": "、".join(notes),
    }
    return [values.get(column, "") for column in COLUMNS]


def event_rows(
    session: DbSession, fiscal_year: int, source: Callable[[], Publisher] = publisher
) -> list[list[str]]:
    """The rows of the public seminars starting in the fiscal year, by start."""
    start, end = fiscal_year_bounds(fiscal_year)
    seminars = session.scalars(
        select(Seminar)
        .where(public_condition(), Seminar.starts_at >= start, Seminar.starts_at < end)
        .order_by(Seminar.starts_at, Seminar.id)
        .options(selectinload(Seminar.lecturers))
    )
    who = source()
    return [_row(seminar, who) for seminar in seminars]
