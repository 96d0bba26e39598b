"""The migrations are the schema: they must build exactly what the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from seminar_app.extensions import db
from tests.conftest import fresh_database_url, make_app


def _differences(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return compare_metadata(context, db.metadata)


def test_migrations_match_the_models(backend, tmp_path):
    app = make_app(fresh_database_url(backend, tmp_path, "seminar_migrations"))
    with app.app_context():
        upgrade()
    try:
        assert _differences(app) == []
    finally:
        with app.app_context():
            db.engine.dispose()


def test_migrations_downgrade_to_nothing_and_up_again(backend, tmp_path):
    app = make_app(fresh_database_url(backend, tmp_path, "seminar_migrations"))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "seminars" in inspect(db.engine).get_table_names()
        db.engine.dispose()
