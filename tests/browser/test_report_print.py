"""The fiscal-year report printed on A4, as an organizer hands it to the ministry."""

import subprocess

import pytest

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def test_every_table_of_the_report_prints_whole_on_a4(live_server, open_page, tmp_path):
    page = open_page("ja", width=1280, height=900)
    log_in(page, live_server, "organizer@example.org")
    page.goto(f"{live_server}/console/reports/?fy=2020")
    page.emulate_media(media="print")
    screenshot(page, "report-ja-print")
    pdf = tmp_path / "report.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=False)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    # The year-by-year table keeps its consultation columns on paper.
    years_header = next(line for line in text.splitlines() if "年度" in line and "相談" in line)
    assert "うちオンライン" in years_header and years_header.count("前年度比") == 2
    # The other wide tables keep their last column too: nothing is cut at the right edge.
    lines = text.splitlines()
    assert any("主催" in line and "うちオンライン" in line and "参加者数" in line for line in lines)
    assert any("開催日" in line and "参加確定" in line and "参加者数" in line for line in lines)
