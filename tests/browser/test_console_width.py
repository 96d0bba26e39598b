"""Staff pages use the width of the screen, and their short labels never break mid-word.

On a desktop the console's tables once sat in a 1080 px column and broke 公開/中, 下書/き,
主催セミナ/ー and ハイブリッ/ド over two lines. At 1280 and 1920 px the main table (or the
seminar page's grid of cards) now spans most of the window; at 390 px a table keeps to the
phone's width (it scrolls within itself or becomes cards) and still breaks no label.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import UPCOMING_SLUG, live_database, log_in, new_context
from tests.browser.test_accessibility import register_for_upcoming
from tests.browser.test_screenshots import add_consultations

pytestmark = pytest.mark.browser

SIZES = {"phone": (390, 844), "desktop": (1280, 900), "wide": (1920, 1080)}

#: How much of a desktop window the main table takes at least.
MOST_OF_THE_WIDTH = 0.9

#: The labels, badges and short cells of the page's main part that its layout breaks over
#: two lines or more. A cell (or a figure's label) is short when its text has at most 12
#: characters; a date cell (2026年12月8日（火）14:00–16:00) counts as a label on a desktop.
#: Lines are told apart by the boxes of the text itself, so a smaller badge beside a word
#: stays on "one line".
BROKEN_LABELS = """([desktop, words]) => {
  const linesOf = rects => {
    const boxes = [...rects].filter(box => box.width > 0).sort((a, b) => a.top - b.top);
    let count = 0, bottom = -Infinity;
    for (const box of boxes) {
      if (box.top >= bottom - 2) { count += 1; bottom = box.bottom; }
      else bottom = Math.max(bottom, box.bottom);
    }
    return count;
  };
  const textsOf = element => {
    const nodes = [];
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) nodes.push(walker.currentNode);
    return nodes;
  };
  const rangeOf = (node, start, end) => {
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, end);
    return range;
  };
  const lines = element => linesOf(textsOf(element).flatMap(
    node => [...rangeOf(node, 0, node.length).getClientRects()]
  ));
  const text = element => element.textContent.replace(/\\s+/g, ' ').trim();
  const date = /^(\\d{4}年\\d{1,2}月\\d{1,2}日|[A-Z][a-z]{2} \\d)/;
  const badges = [...document.querySelectorAll(
    'main .status, main .state, main .tag, main th, main .kana-rows a'
  )];
  // A cell with a line break of its own (a name above its reading) is two lines on purpose.
  const cells = [...document.querySelectorAll('main td, main .stat-label')].filter(cell => {
    if (cell.querySelector('br')) return false;
    const value = text(cell);
    return value && (value.length <= 12 || (desktop && date.test(value)));
  });
  const broken = [...new Set([...badges, ...cells])]
    .filter(element => element.getClientRects().length && lines(element) > 1)
    .map(element => text(element));
  for (const node of textsOf(document.querySelector('main'))) {
    for (const word of words) {
      let at = node.data.indexOf(word);
      for (; at >= 0; at = node.data.indexOf(word, at + 1)) {
        if (linesOf(rangeOf(node, at, at + word.length).getClientRects()) > 1) broken.push(word);
      }
    }
  }
  return broken;
}"""

#: The words the console once broke (公開/中, 下書/き, 主催セミナ/ー, ハイブリッ/ド) and their
#: neighbours: wherever they appear in a page's main part, each stays on one line.
WORDS = [
    "公開中",
    "下書き",
    "主催セミナー",
    "社内セミナー",
    "他機関主催セミナー",
    "オンライン",
    "ハイブリッド",
    "参加確定",
    "キャンセル待ち",
]

#: The width of the page's widest table (or grid of cards) in its main part.
MAIN_WIDTH = """() => Math.max(0, ...[...document.querySelectorAll(
  'main table, main .cards'
)].map(element => element.getBoundingClientRect().width))"""

OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture(scope="module")
def pages(live_server) -> dict[str, str]:
    """The staff pages of the upcoming hybrid seminar, which has registrations, and of a
    fiscal year with consultations."""
    from seminar_app.catalogue.models import Seminar
    from seminar_app.timeutil import fiscal_year_of

    for number in range(3):
        register_for_upcoming(live_server, name=f"幅確認 {'一二三'[number]}郎")
    add_consultations(live_server)
    with live_database(live_server) as session:
        seminar = session.query(Seminar).filter_by(slug=UPCOMING_SLUG).one()
        seminar_id, fiscal_year = seminar.id, fiscal_year_of(seminar.starts_at)
    return {
        "seminars": f"/console/?fiscal_year={fiscal_year}",
        "seminar": f"/console/seminars/{seminar_id}",
        "registrations": f"/console/seminars/{seminar_id}/registrations",
        "attendance": f"/console/seminars/{seminar_id}/attendance",
        "report": "/console/reports/?fy=2020",
        "consultations": f"/console/consultations/?fy={fiscal_year}",
        "home": "/staff",
    }


@pytest.fixture(scope="module")
def staff_page(browser, live_server):
    """One logged-in organizer per size (an organizer also reads the consultation desk)."""
    contexts = {}

    def factory(device: str):
        if device not in contexts:
            width, height = SIZES[device]
            context = new_context(
                browser,
                viewport={"width": width, "height": height},
                locale="ja",
                extra_http_headers={"Accept-Language": "ja"},
            )
            page = context.new_page()
            log_in(page, live_server, "organizer@example.org")
            contexts[device] = (context, page)
        return contexts[device][1]

    yield factory
    for context, _page in contexts.values():
        context.close()


@pytest.mark.parametrize("device", list(SIZES))
@pytest.mark.parametrize(
    "name",
    ["seminars", "seminar", "registrations", "attendance", "report", "consultations", "home"],
)
def test_staff_page_uses_the_width_and_breaks_no_label(
    live_server, staff_page, pages, name, device
):
    page = staff_page(device)
    response = page.goto(f"{live_server}{pages[name]}")
    assert response.status == 200, f"{name}: {response.status} at {page.url}"
    desktop = device != "phone"
    assert page.evaluate(BROKEN_LABELS, [desktop, WORDS]) == [], f"{name} breaks labels at {device}"
    if desktop:
        window = page.evaluate("window.innerWidth")
        main_width = page.evaluate(MAIN_WIDTH)
        assert main_width >= MOST_OF_THE_WIDTH * window, (
            f"{name}: its table is {main_width:.0f} px of a {window} px window"
        )
    else:
        overflow = page.evaluate(OVERFLOW)
        assert overflow <= 0, f"{name} is {overflow}px wider than the phone"
