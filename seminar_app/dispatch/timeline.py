"""A company's lecturer-dispatch requests on its timeline at the consultation desk, beside its
consultations: each request on the day it was received (Japan time), and its in-company
seminar, once scheduled and unless cancelled, on the day it is held.

A request is the client's when scheduling linked it to the client, or, not linked yet (not
scheduled, declined, withdrawn before), when it names the company as the desk finds a
client's people (consultations.services.of_client: the same 法人番号 or normalised name).
"""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from ..consultations.models import Client
from ..consultations.services import DispatchMention, HistoryEntry, of_client, timeline_source
from ..database import DbSession
from ..domain import SeminarStatus
from ..timeutil import to_jst
from .models import DispatchRequest, DispatchStateChange


@timeline_source("dispatch")
def dispatch_entries(session: DbSession, client: Client) -> list[HistoryEntry]:
    """The client's requests, each dated by its receipt, and their seminars."""
    rows = session.execute(
        select(DispatchRequest, DispatchStateChange.at)
        .join(
            DispatchStateChange,
            and_(
                DispatchStateChange.request_id == DispatchRequest.id,
                DispatchStateChange.from_state.is_(None),
            ),
        )
        .where(
            or_(
                DispatchRequest.client_id == client.id,
                and_(
                    DispatchRequest.client_id.is_(None),
                    of_client(
                        client, DispatchRequest.organization_key, DispatchRequest.corporate_number
                    ),
                ),
            )
        )
        .options(selectinload(DispatchRequest.seminar))
        .order_by(DispatchRequest.id)
    )
    entries = []
    for request, received_at in rows:
        mention = DispatchMention(request_id=request.id, state=request.state)
        entries.append(
            HistoryEntry(day=to_jst(received_at).date(), kind="dispatch", dispatch=mention)
        )
        seminar = request.seminar
        if seminar is not None and seminar.status != SeminarStatus.CANCELLED:
            entries.append(
                HistoryEntry(
                    day=to_jst(seminar.starts_at).date(),
                    kind="dispatch-seminar",
                    seminar=seminar,
                    dispatch=mention,
                )
            )
    return entries
