"""What the Telegram alerts said, and to whom (migration 0019): alarm state changes taken once,
incidents with the message each chat got, the morning digest of each day."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from chalicelib.db import Connection, rows_as_dicts

KEEP_STATE_CHANGES_DAYS = 30  # an SNS redelivery comes within minutes; a month is plenty

CLAIM_STATE_CHANGE = """
INSERT INTO alarm_state_changes (alarm_name, state, changed_at) VALUES (:alarm, :state, :changed_at)
ON CONFLICT DO NOTHING RETURNING 1
"""

PRUNE_STATE_CHANGES = f"""
DELETE FROM alarm_state_changes WHERE received_at < now() - interval '{KEEP_STATE_CHANGES_DAYS} days'
"""


def claim_state_change(conn: Connection, *, alarm: str, state: str, changed_at: datetime) -> bool:
    """True for the first delivery of this state change; False for a repeat (SNS delivers at least
    once). Concurrent deliveries: the primary key lets one insert through, the other waits and sees it."""
    conn.run(PRUNE_STATE_CHANGES)
    return bool(conn.run(CLAIM_STATE_CHANGE, alarm=alarm, state=state, changed_at=changed_at))


OPEN_INCIDENT = """
INSERT INTO alert_incidents (alarm_name, started_at, messages)
VALUES (:alarm, :started_at, CAST(:messages AS jsonb)) RETURNING id
"""


def open_incident(conn: Connection, *, alarm: str, started_at: datetime, messages: dict[str, int]) -> int:
    """An incident for `alarm` with the message each chat got ({chat id: message id})."""
    return int(
        conn.run(OPEN_INCIDENT, alarm=alarm, started_at=started_at, messages=json.dumps(messages))[0][0]
    )


# Every incident of the alarm still open: one whose OK was never delivered is closed by the next OK.
CLOSE_INCIDENTS = """
UPDATE alert_incidents SET recovered_at = :recovered_at
WHERE alarm_name = :alarm AND recovered_at IS NULL
RETURNING id, started_at, recovered_at, messages::text
"""


def close_incidents(conn: Connection, *, alarm: str, recovered_at: datetime) -> list[dict[str, Any]]:
    """Mark the alarm's open incidents recovered; each with its messages, to edit."""
    found = rows_as_dicts(conn, conn.run(CLOSE_INCIDENTS, alarm=alarm, recovered_at=recovered_at))
    for incident in found:
        incident["messages"] = {chat: int(mid) for chat, mid in json.loads(incident["messages"]).items()}
    return found


CLAIM_DIGEST = "INSERT INTO digests_sent (day) VALUES (:day) ON CONFLICT DO NOTHING RETURNING 1"
DIGEST_SENT = "UPDATE digests_sent SET chats = :chats, sent_at = now() WHERE day = :day"
RELEASE_DIGEST = "DELETE FROM digests_sent WHERE day = :day"


def claim_digest(conn: Connection, day: date) -> bool:
    """True when `day`'s digest is this caller's to send (no one sent it or is sending it)."""
    return bool(conn.run(CLAIM_DIGEST, day=day))


def digest_sent(conn: Connection, day: date, *, chats: int) -> None:
    """Record how many chats took `day`'s digest; none: release the claim, so the next look retries."""
    conn.run(DIGEST_SENT if chats else RELEASE_DIGEST, day=day, chats=chats)
