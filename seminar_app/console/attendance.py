"""Organizer pages for a seminar's attendance: the list, its exports and the head-count."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..attendance import reports
from ..attendance import services as attendance
from ..audit.services import record
from ..domain import label
from ..exports import Table, table_download
from ..extensions import db
from ..timeutil import to_jst, utcnow
from .views import bp, seminar_or_404

HOW = {
    "venue": lambda: _("At the venue"),
    "online": lambda: _("Online"),
    "both": lambda: _("Venue and online"),
    "": lambda: "",
}


@bp.get("/seminars/<id:seminar_id>/attendance")
def attendance_page(seminar_id: int):
    seminar = seminar_or_404(seminar_id)
    rows = attendance.attendance_rows(db.session, seminar.id)
    return render_template(
        "console/attendance.html",
        seminar=seminar,
        rows=rows,
        attended=sum(row.attended for row in rows),
        ended=seminar.ends_at <= utcnow(),
        how=HOW,
    )


@bp.post("/seminars/<id:seminar_id>/head-count")
def head_count(seminar_id: int):
    seminar = seminar_or_404(seminar_id)
    raw = (request.form.get("head_count") or "").strip()
    if raw and (not raw.isascii() or not raw.isdigit() or int(raw) > attendance.MAX_HEAD_COUNT):
        flash(_("Enter the number of attendees as a whole number, or leave it empty."), "error")
    else:
        attendance.set_head_count(db.session, seminar, int(raw) if raw else None, by=current_user)
        db.session.commit()
        flash(_("The head-count is saved."), "success")
    return redirect(url_for("console.attendance_page", seminar_id=seminar.id), 303)


@bp.get("/seminars/<id:seminar_id>/attendance.<any(csv, xlsx):extension>")
def attendance_export(seminar_id: int, extension: str):
    seminar = seminar_or_404(seminar_id)
    ended = seminar.ends_at <= utcnow()
    header = [
        _("Name"),
        _("Name in kana"),
        _("Organization"),
        _("E-mail"),
        _("Attended"),
        _("How"),
        _("Checked in at (JST)"),
        _("Minutes online"),
        _("Joined online at (JST)"),
        _("No-show"),
        _("Registered to attend"),
    ]
    rows = [
        [
            row.registration.name,
            row.registration.name_kana,
            row.registration.organization,
            row.registration.email,
            row.attended,
            HOW[row.how](),
            to_jst(row.check_in.checked_in_at) if row.check_in else None,
            row.online.minutes if row.online else None,
            to_jst(row.online.first_joined_at) if row.online else None,
            ended and not row.attended,
            label(row.registration.attendance),
        ]
        for row in attendance.attendance_rows(db.session, seminar.id)
    ]
    record(
        db.session,
        "attendance.exported",
        "seminar",
        seminar.id,
        details={"format": extension, "rows": len(rows)},
    )
    db.session.commit()
    return table_download(
        extension, f"attendance-{seminar.slug}", Table(_("Attendance"), header, rows)
    )


@bp.post("/seminars/<id:seminar_id>/attendee-report")
def attendee_report(seminar_id: int):
    """Import the meeting platform's attendee report; a bad file changes nothing."""
    seminar = seminar_or_404(seminar_id)
    raw_minimum = (request.form.get("min_online_minutes") or "").strip()
    if raw_minimum:
        if not raw_minimum.isascii() or not raw_minimum.isdigit() or int(raw_minimum) > 1440:
            flash(_("Enter the minimum minutes as a whole number."), "error")
            return redirect(url_for("console.attendance_page", seminar_id=seminar.id), 303)
        seminar.min_online_minutes = int(raw_minimum)
    upload = request.files.get("report")
    data = upload.read(reports.LIMITS.max_bytes + 1) if upload else b""
    if not data:
        flash(_("Choose the attendee report (CSV) exported from the meeting platform."), "error")
        return redirect(url_for("console.attendance_page", seminar_id=seminar.id), 303)
    try:
        report = reports.parse(data)
    except reports.ReportError as exc:
        db.session.rollback()
        return render_template(
            "console/report_errors.html", seminar=seminar, problems=exc.problems
        ), 400
    result = attendance.import_report(db.session, seminar, report, by=current_user, now=utcnow())
    db.session.commit()
    return render_template("console/report_result.html", seminar=seminar, result=result)
