"""One way to take a CSV import through a console form: all rows or none, said plainly."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .imports import Imported, ReportError
from .timeutil import jst_today

#: import_file(session, data, today=, actor_label=, actor=) -> what it wrote (Imported).
Importer = Callable[..., Imported]


def import_upload(
    importer: Importer,
    already_imported: type[Exception],
    *,
    back: str,
    landing: Callable[[int | None], str],
    max_bytes: int,  # the importer's own limit: one byte more is read, for it to refuse
    empty_message: str,
    done_message: Callable[[int], str],
):
    """Run `importer` on the uploaded file, commit, and answer the organizer: back to the
    page it came from when nothing was written, on the fiscal year it filled when it was.

    A file already imported (or the same file imported at the same moment elsewhere,
    which the database's unique keys refuse) changes nothing; so does any problem in the
    file, whose lines are listed on an error page.
    """
    upload = request.files.get("file")
    data = upload.read(max_bytes + 1) if upload else b""
    if not data:
        flash(empty_message, "error")
        return redirect(back, 303)
    try:
        imported = importer(
            db.session,
            data,
            today=jst_today(),
            actor_label=current_user.email,
            actor=current_user,
        )
        db.session.commit()
    except (already_imported, IntegrityError):
        db.session.rollback()
        flash(_("This file was already imported; nothing was changed."), "error")
        return redirect(back, 303)
    except ReportError as exc:
        db.session.rollback()
        return render_template(
            "console/report_errors.html", seminar=None, problems=exc.problems, back=back
        ), 400
    flash(done_message(imported.count), "success")
    return redirect(landing(imported.fiscal_year), 303)
