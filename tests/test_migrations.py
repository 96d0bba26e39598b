"""The migrations are the schema: they must build exactly what the models describe."""

import json
import re
from datetime import UTC, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, inspect, text

from seminar_app.catalogue.models import Seminar
from seminar_app.domain import Delivery, HostType, SeminarStatus, Series
from seminar_app.extensions import db
from seminar_app.timeutil import utcnow
from tests.conftest import fresh_database_url, make_app
from tests.registration_helpers import register


def _migrated_app(backend, tmp_path):
    app = make_app(fresh_database_url(backend, tmp_path, "seminar_migrations"))
    with app.app_context():
        upgrade()
    return app


def test_migrations_match_the_models(backend, tmp_path):
    app = _migrated_app(backend, tmp_path)
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "compare_server_default": True, "render_as_batch": True},
        )
        assert compare_metadata(context, db.metadata) == []
        db.engine.dispose()


def check_terms(sqltext: str, columns: set[str]) -> tuple[set[str], set[str], set[str]]:
    """What a CHECK says, whatever the database's way of writing it: its quoted values,
    its numbers and the columns it names (PostgreSQL rewrites `IN (…)` as `= ANY (ARRAY…)`
    and adds casts; SQLite keeps the text)."""
    quoted = set(re.findall(r"'([^']*)'", sqltext))
    bare = re.sub(r"'[^']*'", " ", sqltext)
    numbers = set(re.findall(r"\b\d+\b", bare))
    named = set(re.findall(r"[A-Za-z_]\w*", bare)) & columns
    return quoted, numbers, named


def test_migrations_create_every_check_constraint_as_the_models_write_it(backend, tmp_path):
    """Autogenerate does not compare CHECK constraints: compare their names and their terms,
    so that a new member of a vocabulary cannot reach the models without a migration."""
    app = _migrated_app(backend, tmp_path)
    with app.app_context():
        inspector = inspect(db.engine)
        for table in db.metadata.sorted_tables:
            columns = {column.name for column in table.columns}
            wanted = {
                constraint.name: check_terms(str(constraint.sqltext), columns)
                for constraint in table.constraints
                if isinstance(constraint, CheckConstraint)
            }
            present = {
                item["name"]: check_terms(item["sqltext"], columns)
                for item in inspector.get_check_constraints(table.name)
            }
            assert set(wanted) <= set(present), (
                f"{table.name}: missing {set(wanted) - set(present)}"
            )
            for name, terms in wanted.items():
                assert present[name] == terms, f"{table.name}.{name}: {present[name]} != {terms}"
        db.engine.dispose()


def test_migrations_downgrade_to_nothing_and_up_again(backend, tmp_path):
    app = _migrated_app(backend, tmp_path)
    with app.app_context():
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "registrations" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_a_drawn_seminar_gets_its_seed_from_the_audit_log(backend, tmp_path):
    app = make_app(fresh_database_url(backend, tmp_path, "seminar_lottery_seed"))
    with app.app_context():
        upgrade(revision="c14c3a7f0003")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO seminars (id, slug, title, description, series, host_type, "
                    "delivery, status, starts_at, ends_at, capacity, admission, lottery_drawn_at, "
                    "created_at, updated_at) VALUES (7, 'drawn', 'drawn', '', "
                    "'trade-secret-ip-strategy', 'agency', 'online', 'published', "
                    ":at, :end, 10, 'lottery', :at, :at, :at)"
                ),
                {"at": datetime(2026, 5, 1, tzinfo=UTC), "end": datetime(2026, 5, 2, tzinfo=UTC)},
            )
            connection.execute(
                text(
                    "INSERT INTO audit_events (action, actor_label, subject_type, subject_id, "
                    "details, at) VALUES ('lottery.drawn', 'cli', 'seminar', '7', :details, :at)"
                ),
                {
                    "details": json.dumps({"seed": 2**62 + 5}),
                    "at": datetime(2026, 5, 1, tzinfo=UTC),
                },
            )
        upgrade()
        with db.engine.connect() as connection:
            seed = connection.execute(text("SELECT lottery_seed FROM seminars WHERE id = 7"))
            assert seed.scalar() == 2**62 + 5
        db.engine.dispose()


def test_imported_consultations_keep_being_recognised_by_the_one_fingerprint(backend, tmp_path):
    app = make_app(fresh_database_url(backend, tmp_path, "seminar_fingerprint"))
    at = datetime(2026, 5, 1, tzinfo=UTC)
    with app.app_context():
        upgrade(revision="d15a4b8e0004")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO consultations (held_on, channel, attribute, topics, source, "
                    "import_ref, created_at, updated_at) VALUES ('2020-05-01', 'phone', 'sme', "
                    "'contracts', 'direct', '0123456789abcdef:7', :at, :at)"
                ),
                {"at": at},
            )
            connection.execute(
                text(
                    "INSERT INTO audit_events (action, actor_label, subject_type, subject_id, "
                    "details, at) VALUES ('consultation.imported', 'cli', 'file', "
                    "'0123456789abcdef', '{}', :at)"
                ),
                {"at": at},
            )
        upgrade()
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT import_ref FROM consultations")).scalar() == (
                "0123456789ab:7"
            )
            assert connection.execute(text("SELECT subject_id FROM audit_events")).scalar() == (
                "0123456789ab"
            )
        db.engine.dispose()


def test_rebuilding_a_table_on_sqlite_keeps_the_rows_that_refer_to_it(backend, tmp_path):
    """A batch migration copies, drops and renames a table: no cascade may empty others."""
    app = _migrated_app(backend, tmp_path)
    starts = utcnow() + timedelta(days=10)
    with app.app_context():
        seminar = Seminar(
            slug="kept",
            title="残るセミナー",
            description="",
            series=Series.TRADE_SECRET_IP_STRATEGY,
            host_type=HostType.AGENCY,
            delivery=Delivery.ONLINE,
            status=SeminarStatus.PUBLISHED,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            meeting_url="https://meet.example.org/j/1",
            capacity=10,
        )
        db.session.add(seminar)
        db.session.commit()
        register(db.session, seminar)
        db.session.remove()
        downgrade(revision="c14c3a7f0003")  # drops a column of seminars: a rebuild on SQLite
        with db.engine.connect() as connection:
            count = connection.execute(text("SELECT count(*) FROM registrations")).scalar()
        assert count == 1
        upgrade()
        db.engine.dispose()


def test_consultation_topics_move_to_their_own_table_and_back(backend, tmp_path):
    app = make_app(fresh_database_url(backend, tmp_path, "seminar_topics"))
    at = datetime(2026, 5, 1, tzinfo=UTC)
    with app.app_context():
        upgrade(revision="d15c6d0a0006")
        with db.engine.begin() as connection:
            for number, topics in ((1, "contracts;leak-incident"), (2, ";astrology;;other;other")):
                connection.execute(
                    text(
                        "INSERT INTO consultations (id, held_on, channel, attribute, topics, "
                        "source, created_at, updated_at) VALUES (:id, '2020-05-01', 'phone', "
                        "'sme', :topics, 'direct', :at, :at)"
                    ),
                    {"id": number, "topics": topics, "at": at},
                )
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT consultation_id, topic FROM consultation_topics")
            ).all()
            columns = {c["name"] for c in inspect(connection).get_columns("consultations")}
        assert sorted(rows) == [(1, "contracts"), (1, "leak-incident"), (2, "other")]
        assert "topics" not in columns
        downgrade(revision="d15c6d0a0006")
        with db.engine.connect() as connection:
            joined = connection.execute(text("SELECT id, topics FROM consultations ORDER BY id"))
            assert joined.all() == [(1, "contracts;leak-incident"), (2, "other")]
        db.engine.dispose()


def test_registrations_of_hybrid_seminars_become_venue_and_back(backend, tmp_path):
    app = make_app(fresh_database_url(backend, tmp_path, "seminar_attendance_mode"))
    at = datetime(2026, 5, 1, tzinfo=UTC)
    with app.app_context():
        upgrade(revision="e17b2e3d0009")
        with db.engine.begin() as connection:
            for number, delivery in ((1, "hybrid"), (2, "online")):
                connection.execute(
                    text(
                        "INSERT INTO seminars (id, slug, title, description, series, host_type, "
                        "delivery, status, starts_at, ends_at, capacity, created_at, updated_at) "
                        "VALUES (:id, :slug, 'ハイブリッド', '', 'ip-utilization', 'agency', "
                        ":delivery, 'published', :at, :end, 10, :at, :at)"
                    ),
                    {
                        "id": number,
                        "slug": f"s{number}",
                        "delivery": delivery,
                        "at": at,
                        "end": at + timedelta(hours=2),
                    },
                )
                connection.execute(
                    text(
                        "INSERT INTO registrations (id, seminar_id, status, manage_token, "
                        "ticket_code, join_token, email, email_key, name, name_kana, prefecture, "
                        "attribute, privacy_notice_version, privacy_agreed_at, "
                        "announcements_opt_in, locale, source, calendar_sequence, created_at, "
                        "updated_at) VALUES (:id, :id, 'confirmed', :token, :token, :token, "
                        "'a@example.jp', 'a@example.jp', '山田', 'やまだ', '13', 'sme', '1', :at, "
                        "false, 'ja', 'web', 0, :at, :at)"
                    ),
                    {"id": number, "token": f"token{number}", "at": at},
                )
        upgrade()
        with db.engine.connect() as connection:
            modes = connection.execute(
                text("SELECT seminar_id, attendance_mode FROM registrations ORDER BY seminar_id")
            ).all()
            online = connection.execute(text("SELECT online_capacity FROM seminars")).scalars()
            assert list(online) == [None, None]
        assert modes == [(1, "venue"), (2, None)]
        downgrade(revision="e17b2e3d0009")
        with db.engine.connect() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("registrations")}
            count = connection.execute(text("SELECT count(*) FROM registrations")).scalar()
        assert "attendance_mode" not in columns and count == 2
        db.engine.dispose()


def test_mail_waiting_in_the_outbox_is_marked_bulk_by_its_kind(backend, tmp_path):
    app = make_app(fresh_database_url(backend, tmp_path, "seminar_outbox_bulk"))
    at = datetime(2026, 5, 1, tzinfo=UTC)
    with app.app_context():
        upgrade(revision="e18a9c2d0010")
        with db.engine.begin() as connection:
            for number, kind in ((1, "announcement"), (2, "registration.confirmed")):
                connection.execute(
                    text(
                        "INSERT INTO outbox_messages (id, created_at, kind, recipient, payload, "
                        "status, attempts, next_attempt_at) VALUES (:id, :at, :kind, "
                        "'a@example.jp', '{}', 'pending', 0, :at)"
                    ),
                    {"id": number, "kind": kind, "at": at},
                )
        upgrade(revision="e18b1f2a0011")
        with db.engine.connect() as connection:
            marked = connection.execute(
                text("SELECT id, bulk FROM outbox_messages ORDER BY id")
            ).all()
        assert [(number, bool(bulk)) for number, bulk in marked] == [(1, True), (2, False)]
        db.engine.dispose()


def test_requests_made_before_get_their_own_participants_link(backend, tmp_path):
    app = make_app(fresh_database_url(backend, tmp_path, "seminar_dispatch_links"))
    at = datetime(2026, 11, 1, tzinfo=UTC)
    with app.app_context():
        upgrade(revision="f19b2c3d0012")
        with db.engine.begin() as connection:
            for number in (1, 2):
                connection.execute(
                    text(
                        "INSERT INTO dispatch_requests (id, created_at, updated_at, state, token, "
                        "organization, address, prefecture, attribute, contact_name, "
                        "contact_email, contact_email_key, contact_phone, audience, "
                        "audience_size, delivery, privacy_notice_version, privacy_agreed_at, "
                        "locale) VALUES (:id, :at, :at, 'received', :token, '株式会社テスト', "
                        "'東京都', '13', 'sme', '総務 花子', 'a@example.jp', 'a@example.jp', "
                        "'03-1234-5678', '全社員', 30, 'in-person', '2026-04', :at, 'ja')"
                    ),
                    {"id": number, "at": at, "token": f"contact-token-{number}"},
                )
        upgrade(revision="g20c3d4e0013")
        with db.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT token, participant_token FROM dispatch_requests ORDER BY id")
            ).all()
        tokens = [participant for _, participant in rows]
        assert len(set(tokens)) == 2 and all(len(token) == 32 for token in tokens)
        assert [contact for contact, _ in rows] == ["contact-token-1", "contact-token-2"]
        db.engine.dispose()
