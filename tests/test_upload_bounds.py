"""Organizers' uploads stay bounded (issue 14, finding 7).

Every parser of an upload answers in time linear in its input, and answers bad content
with its own error carrying the line (a 400 with the message in the person's language),
never with another exception (a 500). Checked three ways: hypothesis feeds each parser
random and adversarial input; the growth of the CPU time from an input of size n to one of
8n is measured (about 8 when linear, 64 when quadratic: no absolute times); and requests
through the console and the desk show the 400 and that nothing changed.
"""

from __future__ import annotations

import gc
import io
import time
import zipfile
from collections.abc import Callable
from contextlib import suppress
from datetime import date

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import func, select

from seminar_app.attendance import reports
from seminar_app.attendance.models import CheckIn, OnlineAttendance
from seminar_app.attendance.tickets import (
    MAX_PHOTO_PIXELS,
    PhotoUnreadable,
    codes_in_photo,
)
from seminar_app.audit.models import AuditEvent
from seminar_app.catalogue.models import Seminar
from seminar_app.consultations import importer
from seminar_app.domain import Role
from seminar_app.imports import MAX_NON_STARTERS, Problem, ReportError
from seminar_app.materials.validation import (
    MAX_ZIP_DIRECTORY,
    CheckedUpload,
    UploadRefused,
    check_upload,
)
from seminar_app.qr import qr_png
from seminar_app.reports import historic
from tests.conftest import csrf_token, login
from tests.registration_helpers import register

TODAY = date(2026, 11, 26)
#: Reproducible in CI: the same examples every run, none remembered between runs.
FUZZ = settings(
    deadline=None,
    max_examples=100,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TIMED = settings(
    deadline=None,
    max_examples=5,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: A linear parser grows about 8 times from n to 8n, a quadratic one about 64 times.
MAX_GROWTH = 30

ZOOM_HEADER = "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest"
HISTORIC_HEADER = (
    "date,title,series,level,host_type,delivery,attendees,organization,start_time,end_time"
)
CONSULTATION_HEADER = ",".join(importer.REQUIRED_COLUMNS)

#: Each CSV parser, as the console calls it, with the header that gets it to its rows.
PARSERS: dict[str, tuple[Callable[[bytes], object], str]] = {
    "attendee-report": (reports.parse, ZOOM_HEADER),
    "past-seminars": (lambda data: historic.parse(data, TODAY), HISTORIC_HEADER),
    "past-consultations": (lambda data: importer.parse(data, TODAY), CONSULTATION_HEADER),
}

#: What breaks parsers: digits, spaces, colons, units, quotes, line ends, NUL, BOMs,
#: full-width forms, and combining marks (NFKC is quadratic on a long run of them).
ADVERSARIAL = '0123456789 :hms.,"\n\r\t\x00\ufeff-/@aあ１ｈ\u0301\u0316\u0f73'
LONG_CELLS = [
    "9" * 400,
    "1h" + " " * 3000 + "x",
    "1" * 5000 + "m",
    ":" * 3000,
    "a" + "\u0301\u0316" * 2000,
    "\u0f73" * 3000,
    '"' + "x" * 20_000,
]
cells = st.text(alphabet=ADVERSARIAL, max_size=30) | st.sampled_from(LONG_CELLS)


@st.composite
def csv_files(draw, header: str) -> bytes:
    """A file with the parser's header and rows of adversarial cells, in some encoding."""
    rows = draw(st.lists(st.lists(cells, max_size=11), max_size=6))
    text = "\n".join([header, *(",".join(row) for row in rows)])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp932", "utf-16", "latin-1"]))
    data = bytearray(text.encode(encoding, errors="replace"))
    for _ in range(draw(st.integers(0, 3))):  # a few bytes broken anywhere
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


def answer_of(parse: Callable[[bytes], object], data: bytes) -> list[Problem]:
    """The problems found, after checking they are the parser's own and carry their line."""
    try:
        parse(data)
    except ReportError as exc:
        assert exc.problems and all(isinstance(p, Problem) for p in exc.problems)
        # Only a problem of the whole file (its size, no table) has no line, and comes alone.
        assert len(exc.problems) == 1 or all(p.line is not None for p in exc.problems)
        return exc.problems
    return []


def cpu_seconds(function: Callable[[], object], repeat: int) -> float:
    """CPU time of `repeat` calls, the least disturbed of three runs."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for _ in range(repeat):
            with suppress(ReportError, ValueError, PhotoUnreadable, UploadRefused):
                function()
        best = min(best, time.process_time() - start)
    return best


def growth(function: Callable[[object], object], small: object, large: object) -> float:
    """How many times longer `function` takes on `large` than on `small`.

    CPU time of this process only (other work on the machine does not count), garbage
    collection off, and enough calls per run that a run takes some milliseconds.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        repeat = 1
        while cpu_seconds(lambda: function(small), repeat) < 0.003 and repeat < 100_000:
            repeat *= 4
        return cpu_seconds(lambda: function(large), repeat) / cpu_seconds(
            lambda: function(small), repeat
        )
    finally:
        if collecting:
            gc.enable()


# --- Each parser answers anything with its own error, and its lines ------------------------


@pytest.mark.parametrize("kind", PARSERS)
@FUZZ
@given(data=st.data())
def test_csv_parsers_answer_any_bytes_with_their_own_error(kind, data):
    parse, header = PARSERS[kind]
    answer_of(parse, data.draw(st.binary(max_size=3000) | csv_files(header)))


@pytest.mark.parametrize("kind", PARSERS)
@pytest.mark.parametrize(
    "cell",
    [
        "9" * 400,
        "1h" + " " * 9000 + "x",
        "1\x00",
        "\ufeff45",
        "a" + "\u0301" * (MAX_NON_STARTERS + 1),
    ],
    ids=["400-digits", "long-line", "nul", "bom-in-a-cell", "combining-marks"],
)
def test_adversarial_cells_are_refused_on_their_line(kind, cell):
    parse, header = PARSERS[kind]
    width = len(header.split(","))
    data = "\n".join([header, ",".join([cell] * width)]).encode()
    problems = answer_of(parse, data)
    assert problems and all(problem.line == 2 for problem in problems), problems


@pytest.mark.parametrize("kind", PARSERS)
def test_encodings_the_parsers_refuse_are_named_on_their_line(kind):
    parse, header = PARSERS[kind]
    # Line 3 holds a byte that is neither UTF-8 nor cp932.
    data = header.encode() + b"\n" + b"a,b\n" + b"\x81\x7f,x\n"
    assert [problem.line for problem in answer_of(parse, data)] == [3]


@pytest.mark.parametrize("kind", PARSERS)
def test_too_many_lines_and_too_large_files_are_refused(kind):
    parse, header = PARSERS[kind]
    limits = {
        "attendee-report": reports.LIMITS,
        "past-seminars": historic.LIMITS,
        "past-consultations": importer.LIMITS,
    }[kind]
    many = (header + "\n" * limits.max_rows + "x\n").encode()
    assert [p.line for p in answer_of(parse, many)] == [limits.max_rows + 1]
    large = header.encode() + b"\n" + b"x" * limits.max_bytes
    [problem] = answer_of(parse, large)
    assert problem.line is None and "larger than" in problem


def test_durations_are_read_in_bounded_work():
    for text, minutes in [
        ("45", 45),
        ("45.5", 46),
        ("1h 5m 30s", 66),
        ("1h5m", 65),
        ("2 h", 120),
        ("5min", 5),
        ("30s", 1),
        ("1:05:30", 66),
        ("45:30", 46),
        ("１ｈ ５ｍ", 65),
        (str(reports.MAX_MINUTES), reports.MAX_MINUTES),
    ]:
        assert reports.minutes_of(text) == minutes, text
    for text in [
        "9" * 400,  # was an OverflowError: round(float("9" * 400))
        "9" * 7,
        "1" + "0" * 320 + ".5",
        str(reports.MAX_MINUTES + 1),
        "5m 1h",
        "1h 1h",
        "h",
        "1:5",
        "",
        "1h" + " " * 16_000 + "x",
    ]:
        with pytest.raises(ValueError):
            reports.minutes_of(text)


def test_a_400_digit_duration_is_a_problem_on_its_line():
    data = f"{ZOOM_HEADER}\n山田,yamada@example.jp,,,45,No\n佐藤,sato@example.jp,,,{'9' * 400},No\n"
    [problem] = answer_of(reports.parse, data.encode())
    assert problem.line == 3 and problem.startswith("line 3: “99999")
    assert len(problem) < 200  # the cell is cut short, not repeated whole


def test_past_seminars_with_more_attendees_than_a_head_count_holds_are_refused():
    row = "2019-11-20,セミナー,ip-utilization,,agency,online,{},,14:00,16:00"
    data = "\n".join([HISTORIC_HEADER, row.format("9" * 400), row.format(100_001)])
    assert [p.line for p in answer_of(lambda d: historic.parse(d, TODAY), data.encode())] == [
        2,
        3,
    ]


# --- Time grows linearly with the input ------------------------------------------------------


def _cell_files(header: str, prefix: str, unit: str, suffix: str) -> Callable[[int], bytes]:
    """Files whose every cell of one row is prefix + unit × k + suffix."""
    width = len(header.split(","))

    def make(k: int) -> bytes:
        cell = prefix + unit * k + suffix
        return "\n".join([header, ",".join([cell] * width)]).encode()

    return make


@pytest.mark.parametrize("kind", PARSERS)
@TIMED
@given(
    prefix=st.sampled_from(["", "1", "1h", "1:", "a", "1h 5m", '"']),
    unit=st.text(alphabet=ADVERSARIAL.replace("\x00", ""), min_size=1, max_size=4),
    suffix=st.sampled_from(["", "x", "s", "m", "h", ":00"]),
)
@example(prefix="1h", unit=" ", suffix="x")  # the pattern that took 16 s on a 16 KB line
@example(prefix="a", unit="\u0301\u0316", suffix="")  # NFKC's reordering of marks
@example(prefix="", unit="9", suffix="")
def test_a_long_line_takes_time_linear_in_its_length(kind, prefix, unit, suffix):
    parse, header = PARSERS[kind]
    make = _cell_files(header, prefix, unit, suffix)
    k = max(1, 2000 // (len(unit) * len(header.split(","))))  # about 2 KB, then 16 KB
    assert growth(parse, make(k), make(8 * k)) < MAX_GROWTH


@pytest.mark.parametrize("kind", PARSERS)
@TIMED
@given(row=st.lists(st.text(alphabet=ADVERSARIAL, max_size=30), min_size=1, max_size=11))
@example(row=["1h" + " " * 60 + "x"] * 6)
@example(row=["a" + "\u0301\u0316" * 15] * 6)
def test_many_lines_take_time_linear_in_their_number(kind, row):
    parse, header = PARSERS[kind]
    line = ",".join(row).replace("\n", " ").replace("\r", " ")

    def make(count: int) -> bytes:
        return "\n".join([header] + [line] * count).encode()

    assert growth(parse, make(50), make(400)) < MAX_GROWTH


@TIMED
@given(unit=st.text(alphabet=ADVERSARIAL, min_size=1, max_size=4))
@example(unit=" ")
@example(unit="9")
def test_a_duration_takes_time_independent_of_its_length(unit):
    def read(text: str) -> object:
        return reports.minutes_of("1h" + text + "x")

    assert growth(read, unit * 2000, unit * 16_000) < MAX_GROWTH


# --- The desk's photo --------------------------------------------------------------------


def _image(format_: str, mode: str = "L", size: tuple[int, int] = (48, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, 128).save(buffer, format=format_)
    return buffer.getvalue()


def _bomb(width: int = 20_000, height: int = 10_000) -> bytes:
    """A PNG of some kilobytes announcing hundreds of millions of pixels (1 bit each)."""
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


PHOTO_SEEDS = [
    qr_png("TKT-" + "a" * 24),
    _image("JPEG"),
    _image("PNG", "RGBA"),
    _image("GIF", "P"),
    _image("WEBP", "RGB"),
    _image("TIFF"),  # not a format a phone sends: refused unread
    _image("BMP"),
]


@st.composite
def photos(draw) -> bytes:
    """A real image with some bytes changed, or cut short."""
    data = bytearray(draw(st.sampled_from(PHOTO_SEEDS)))
    for _ in range(draw(st.integers(0, 6))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(0, len(data)))])


@FUZZ
@given(data=st.binary(max_size=2000) | photos())
def test_the_photo_reader_answers_any_bytes_with_its_own_error(data):
    try:
        codes = codes_in_photo(data)
    except PhotoUnreadable as exc:
        assert exc.reason in (PhotoUnreadable.NOT_AN_IMAGE, PhotoUnreadable.TOO_MANY_PIXELS)
    else:
        assert isinstance(codes, list)


def test_a_photo_is_measured_before_it_is_decoded():
    bomb = _bomb()
    assert len(bomb) < 30_000
    with pytest.raises(PhotoUnreadable) as caught:
        codes_in_photo(bomb)
    assert caught.value.reason == PhotoUnreadable.TOO_MANY_PIXELS
    # Over our bound but under Pillow's own: refused by ours, before any decoding.
    side = int(MAX_PHOTO_PIXELS**0.5) + 100
    with pytest.raises(PhotoUnreadable) as caught:
        codes_in_photo(_bomb(side, side))
    assert caught.value.reason == PhotoUnreadable.TOO_MANY_PIXELS
    assert codes_in_photo(_image("PNG", "1", (4000, 3000))) == []


# --- Lecturers' materials: the archive's list of names is bounded ----------------------------


def _archive(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, b"")
    return buffer.getvalue()


SLIDES = _archive(["[Content_Types].xml", "ppt/presentation.xml", "ppt/slides/slide1.xml"])


@st.composite
def archives(draw) -> bytes:
    data = bytearray(draw(st.sampled_from([SLIDES, _archive(["a.txt", "b/c.txt"])])))
    for _ in range(draw(st.integers(0, 6))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(0, len(data)))])


@FUZZ
@given(
    name=st.sampled_from(["slides.pptx", "handout.docx", "data.zip", "deck.pdf"]),
    data=st.binary(max_size=1000) | archives(),
)
def test_material_checks_answer_any_bytes_with_their_own_refusal(name, data):
    try:
        checked = check_upload(name, data, 50 * 1024 * 1024)
    except UploadRefused:
        return
    assert isinstance(checked, CheckedUpload)


def test_an_archive_listing_too_much_is_refused_before_it_is_read():
    long_names = [f"{number:06d}-{'x' * 240}.txt" for number in range(9000)]
    assert len(long_names) * 246 > MAX_ZIP_DIRECTORY
    with pytest.raises(UploadRefused):
        check_upload("data.zip", _archive(long_names), 50 * 1024 * 1024)
    assert check_upload("slides.pptx", SLIDES, 50 * 1024 * 1024).filename == "slides.pptx"


# --- Through the console and the desk: a 400, in the person's language, nothing changed -----


def _audit_events(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(AuditEvent))


def test_a_decompression_bomb_at_the_desk_is_a_400_in_japanese(
    client, make_user, make_seminar, db_session
):
    seminar = make_seminar()
    register(db_session, seminar)
    login(client, make_user(Role.RECEPTION))
    token = csrf_token(client, f"/desk/{seminar.id}")
    before = _audit_events(db_session)
    response = client.post(
        f"/desk/{seminar.id}/photo",
        data={"csrf_token": token, "photo": (io.BytesIO(_bomb()), "ticket.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "写真の画素数が大きすぎます（5000万画素超）" in html
    assert db_session.scalar(select(func.count()).select_from(CheckIn)) == 0
    assert _audit_events(db_session) == before


def _post_report(client, seminar, data: bytes, language: str = "ja"):
    token = csrf_token(client, f"/console/seminars/{seminar.id}/attendance")
    return client.post(
        f"/console/seminars/{seminar.id}/attendee-report",
        data={
            "csrf_token": token,
            "min_online_minutes": "45",
            "report": (io.BytesIO(data), "zoom.csv"),
        },
        content_type="multipart/form-data",
        headers={"Accept-Language": language},
    )


def _nothing_imported(db_session, seminar) -> bool:
    db_session.expire_all()
    return (
        db_session.scalar(select(func.count()).select_from(OnlineAttendance)) == 0
        and db_session.get(Seminar, seminar.id).min_online_minutes == 30
    )


def test_a_400_digit_duration_in_the_console_is_a_400_with_its_line(
    organizer_client, db_session, make_seminar
):
    seminar = make_seminar(min_online_minutes=30)
    register(db_session, seminar, email="yamada@example.jp")
    row = f"山田 太郎,yamada@example.jp,2026/12/16 14:01:10,2026/12/16 15:00:00,{'9' * 400},No"
    response = _post_report(organizer_client, seminar, f"{ZOOM_HEADER}\n{row}\n".encode())
    assert response.status_code == 400
    assert "2行目：「99999" in response.get_data(as_text=True)
    assert _nothing_imported(db_session, seminar)


def test_a_16_kb_line_in_the_console_is_a_400_with_its_line(
    organizer_client, db_session, make_seminar
):
    seminar = make_seminar(min_online_minutes=30)
    register(db_session, seminar, email="yamada@example.jp")
    good = "山田 太郎,yamada@example.jp,2026/12/16 14:01:10,2026/12/16 15:00:00,59,No"
    long = "佐藤,sato@example.jp,2026/12/16 14:00:00,2026/12/16 15:00:00,1h" + " " * 16_000 + "x,No"
    response = _post_report(
        organizer_client, seminar, f"{ZOOM_HEADER}\n{good}\n{long}\n".encode(), "en"
    )
    assert response.status_code == 400
    assert "line 3: the line is longer than 10000 characters" in response.get_data(as_text=True)
    assert _nothing_imported(db_session, seminar)


def test_files_over_their_kind_s_limit_are_a_clear_400(organizer_client, db_session, make_seminar):
    seminar = make_seminar(min_online_minutes=30)
    db_session.commit()
    data = ZOOM_HEADER.encode() + b"\n" + b"x" * reports.LIMITS.max_bytes
    response = _post_report(organizer_client, seminar, data)
    assert response.status_code == 400
    assert "ファイルが 4 MB を超えています" in response.get_data(as_text=True)
    assert _nothing_imported(db_session, seminar)
    seminars = db_session.scalar(select(func.count()).select_from(Seminar))
    token = csrf_token(organizer_client, "/console/reports/")
    past = HISTORIC_HEADER.encode() + b"\n" + b"x" * historic.LIMITS.max_bytes
    response = organizer_client.post(
        "/console/reports/historic",
        data={"csrf_token": token, "file": (io.BytesIO(past), "past.csv")},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert "The file is larger than 1 MB" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Seminar)) == seminars


def test_a_past_seminar_with_a_400_digit_head_count_is_a_400(organizer_client, db_session):
    token = csrf_token(organizer_client, "/console/reports/")
    row = f"2019-11-20,セミナー,ip-utilization,,agency,online,{'9' * 400},,14:00,16:00"
    response = organizer_client.post(
        "/console/reports/historic",
        data={
            "csrf_token": token,
            "file": (io.BytesIO(f"{HISTORIC_HEADER}\n{row}\n".encode()), "past.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "2行目：attendees" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Seminar)) == 0
