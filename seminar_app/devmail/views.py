"""Development only: read the mail that the sender kept in DEV_MAILBOX_DIR (no SMTP_HOST)."""

from __future__ import annotations

import re
from datetime import datetime
from email import message_from_bytes, policy
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template

bp = Blueprint("devmail", __name__)

_NAME = re.compile(r"^\d{8}T\d{12}\.eml$")


def enabled(app) -> bool:
    return app.config["ENV_NAME"] == "development" and not app.config["SMTP_HOST"]


def _folder() -> Path:
    return Path(current_app.config["DEV_MAILBOX_DIR"])


def _read(name: str):
    if not _NAME.match(name):
        abort(404)
    path = _folder() / name
    if not path.is_file():
        abort(404)
    return path, message_from_bytes(path.read_bytes(), policy=policy.default)


def _sent_at(message) -> datetime | None:
    """When the mail was written (its Date header), to be shown in Tokyo time."""
    header = message["Date"]
    return header.datetime if header is not None and header.datetime.tzinfo else None


@bp.get("/dev/mailbox")
def index():
    folder = _folder()
    names = sorted((p.name for p in folder.glob("*.eml")), reverse=True) if folder.is_dir() else []
    mails = []
    for name in names[:200]:
        _, message = _read(name)
        mails.append(
            {
                "name": name,
                "to": message["To"],
                "subject": message["Subject"],
                "sent_at": _sent_at(message),
            }
        )
    return render_template("devmail/index.html", mails=mails, folder=folder)


@bp.get("/dev/mailbox/<name>")
def show(name: str):
    _, message = _read(name)
    text = message.get_body(("plain",))
    parts = [
        (part.get_content_type(), part.get_param("method"))
        for part in message.walk()
        if not part.is_multipart()
    ]
    calendar = next(
        (
            part.get_content()
            for part in message.walk()
            if part.get_content_type() == "text/calendar"
        ),
        None,
    )
    return render_template(
        "devmail/show.html",
        name=name,
        message=message,
        text=text.get_content() if text else "",
        parts=parts,
        calendar=calendar,
        sent_at=_sent_at(message),
    )


@bp.get("/dev/mailbox/<name>/raw")
def raw(name: str):
    path, _ = _read(name)
    return Response(
        path.read_bytes(),
        mimetype="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
