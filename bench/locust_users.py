"""The Locust users of the benchmarks, run headless by bench/harness.locust, e.g.

    locust -f bench/locust_users.py --headless -u 2000 -r 20 --run-time 10m \\
        --host http://127.0.0.1:8000 BurstVisitor

Every request is appended to BENCH_REQUEST_LOG as `end time, name, ms, status, failed`,
from which the benchmarks compute their percentiles exactly (Locust's own CSV rounds).
What a user does is set through BENCH_* variables (read below). This file runs under
gevent (Locust patches the standard library): it imports nothing of the app.
"""

from __future__ import annotations

import csv
import itertools
import os
import random
import re
import time
import uuid
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, constant, constant_throughput, events, task

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

_log = open(  # noqa: SIM115 - open for the whole run, closed when Locust quits
    os.environ.get("BENCH_REQUEST_LOG", os.devnull), "a", newline="", buffering=1
)
_writer = csv.writer(_log)


@events.request.add_listener
def _record(name, response_time, response=None, exception=None, **_kwargs) -> None:
    status = getattr(response, "status_code", 0) or 0
    failed = 1 if exception is not None else 0
    _writer.writerow([f"{time.time():.3f}", name, f"{response_time:.2f}", status, failed])


@events.quitting.add_listener
def _close(**_kwargs) -> None:
    _log.flush()


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _think(low: float, high: float) -> None:
    gevent.sleep(random.uniform(low, high))


def _person(prefix: str, number: int) -> dict[str, str]:
    return {
        "name": f"負荷 花子{number}",
        "name_kana": "ふか はなこ",
        "email": f"{prefix}{number}@example.jp",
        "organization": "株式会社ベンチ製作所",
        "prefecture": "13",
        "attribute": "sme",
        "employee_band": "21-50",
        "industry": "E",
        "privacy_notice_agreed": "y",
        "announcements_opt_in": "y",
    }


def register_through_the_form(
    client, slug: str, person: dict[str, str], language: str, *, think: bool = True
) -> bool:
    """The registration as a person makes it: the form, the confirmation page, the final
    button, then the management page it leads to. True when a seat or a waitlist place was
    taken (303 to the management page)."""
    headers = {"Accept-Language": language}
    url = f"/seminars/{slug}/register"
    form = client.get(url, name="register form", headers=headers)
    match = CSRF.search(form.text or "")
    if match is None:
        return False
    data = {**person, "csrf_token": match.group(1)}
    client.post(url, data=urlencode(data), name="confirm page", headers={**headers, **FORM})
    if think:
        _think(1, 3)
    with client.post(
        url,
        data=urlencode({**data, "register": "1"}),
        name="register",
        headers={**headers, **FORM},
        allow_redirects=False,
        catch_response=True,
    ) as answer:
        location = answer.headers.get("Location") if answer.headers else None
        if answer.status_code != 303 or not location or "/r/" not in location:
            answer.failure(f"registration answered {answer.status_code}")
            return False
    client.get(location, name="manage page", headers=headers)
    return True


# --- closed loops: as many requests as the server answers -----------------------------------


class StaticString(FastHttpUser):
    """The bare baseline (bench/bare_app.py)."""

    wait_time = constant(0)

    @task
    def static_string(self) -> None:
        self.client.get("/static-string", name="static string")


class CataloguePages(FastHttpUser):
    """The two public pages of an announcement, one after the other, no pause."""

    wait_time = constant(0)
    slug = os.environ.get("BENCH_SLUG", "")

    @task
    def pages(self) -> None:
        self.client.get("/", name="catalogue", headers={"Accept-Language": "ja"})
        self.client.get(f"/seminars/{self.slug}", name="seminar page")


# --- the announcement burst -----------------------------------------------------------------

_visitor_numbers = itertools.count()
_journeys_done = itertools.count(1)


class BurstVisitor(FastHttpUser):
    """One person who read the announcement: the catalogue, the seminar's page and, for
    BENCH_REGISTRANTS of every BENCH_VISITORS, the registration. Each visitor makes the
    journey once and then stays idle; Locust quits when every journey is done."""

    wait_time = constant(0)
    slug = os.environ.get("BENCH_SLUG", "")
    visitors = _env_int("BENCH_VISITORS", 2000)
    registrants = _env_int("BENCH_REGISTRANTS", 500)

    def on_start(self) -> None:
        self.number = next(_visitor_numbers)

    def _registers(self) -> bool:
        """Exactly `registrants` of the visitors 0 … visitors-1, spread evenly."""
        n, share, of = self.number, self.registrants, self.visitors
        return n * share // of != (n + 1) * share // of

    @task
    def journey(self) -> None:
        if self.number < self.visitors:
            language = "en" if self.number % 10 == 9 else "ja"
            headers = {"Accept-Language": language}
            self.client.get("/", name="catalogue", headers=headers)
            _think(1, 4)
            self.client.get(f"/seminars/{self.slug}", name="seminar page", headers=headers)
            if self._registers():
                _think(2, 6)
                person = _person("burst", self.number)
                register_through_the_form(self.client, self.slug, person, language)
            if next(_journeys_done) == self.visitors:
                runner = self.environment.runner
                if runner is not None:
                    gevent.spawn_later(0.5, runner.quit)
        while True:  # idle until the run ends: a stopped user could be started again
            gevent.sleep(3600)


# --- the soak's mixed load ------------------------------------------------------------------


def _read_codes() -> list[str]:
    path = os.environ.get("BENCH_CODES_FILE")
    if not path:
        return []
    with open(path) as handle:
        return [line.strip() for line in handle if line.strip()]


_codes = _read_codes()
_code_numbers = itertools.count()
_run_tag = uuid.uuid4().hex[:8]
_registration_numbers = itertools.count()

#: The tasks of MixedLoad and their weights; each makes one request but `register`, which
#: makes four (the form, the confirmation page, the final button, the management page).
MIX = {
    "catalogue": 3,
    "seminar_page": 3,
    "api_list": 1,
    "api_seminar": 1,
    "checkin": 1,
    "register": 1,
}
REQUESTS_PER_TASK = (sum(MIX.values()) + 3 * MIX["register"]) / sum(MIX.values())


def _paced():
    """BENCH_RATE requests a second over all BENCH_USERS users; no pause without it."""
    rate = float(os.environ.get("BENCH_RATE") or 0)
    if rate <= 0:
        return constant(0)
    users = max(_env_int("BENCH_USERS", 1), 1)
    return constant_throughput(rate / users / REQUESTS_PER_TASK)


class MixedLoad(FastHttpUser):
    """Public pages, API reads, check-ins at a desk, registrations through the form."""

    wait_time = _paced()
    slugs = tuple(s for s in os.environ.get("BENCH_SLUGS", "").split(",") if s)
    seminar_ids = tuple(int(s) for s in os.environ.get("BENCH_SEMINAR_IDS", "").split(",") if s)
    register_slugs = tuple(s for s in os.environ.get("BENCH_REGISTER_SLUGS", "").split(",") if s)
    checkin_seminar = _env_int("BENCH_CHECKIN_SEMINAR", 0)
    token = os.environ.get("BENCH_TOKEN", "")

    @task(MIX["catalogue"])
    def catalogue(self) -> None:
        self.client.get("/", name="catalogue", headers={"Accept-Language": "ja"})

    @task(MIX["seminar_page"])
    def seminar_page(self) -> None:
        self.client.get(f"/seminars/{random.choice(self.slugs)}", name="seminar page")

    @task(MIX["api_list"])
    def api_list(self) -> None:
        self.client.get("/api/v1/seminars", name="api seminars")

    @task(MIX["api_seminar"])
    def api_seminar(self) -> None:
        seminar = random.choice(self.seminar_ids)
        self.client.get(f"/api/v1/seminars/{seminar}", name="api seminar")

    @task(MIX["checkin"])
    def checkin(self) -> None:
        code = _codes[next(_code_numbers) % len(_codes)]
        with self.client.post(
            "/api/v1/checkins",
            json={"seminar_id": self.checkin_seminar, "code": code},
            headers={"Authorization": f"Bearer {self.token}"},
            name="check-in",
            catch_response=True,
        ) as answer:
            if answer.status_code not in (200, 201):
                answer.failure(f"check-in answered {answer.status_code}")

    @task(MIX["register"])
    def register(self) -> None:
        number = next(_registration_numbers)
        person = _person(f"soak-{_run_tag}-", number)
        slug = self.register_slugs[number % len(self.register_slugs)]
        # A fresh cookie jar: every registration is another person.
        self.client.cookiejar.clear()
        register_through_the_form(self.client, slug, person, "ja", think=False)
