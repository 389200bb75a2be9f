"""The validators of the last applied listing per resource (`listing_validators`)."""

from __future__ import annotations

from chalicelib.db import Connection
from chalicelib.shop_client import Validators

LOAD = "SELECT etag, last_modified FROM listing_validators WHERE resource = :resource AND context = :context"
SAVE = """
INSERT INTO listing_validators (resource, etag, last_modified, context, saved_at)
VALUES (:resource, :etag, :last_modified, :context, now())
ON CONFLICT (resource) DO UPDATE SET
    etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified, context = EXCLUDED.context,
    saved_at = EXCLUDED.saved_at
"""
FORGET = "DELETE FROM listing_validators WHERE resource = :resource"


def load(conn: Connection, *, resource: str, context: str) -> Validators | None:
    """The saved validators, if they were saved under `context` (else the next fetch is in full)."""
    rows = conn.run(LOAD, resource=resource, context=context)
    return Validators(etag=rows[0][0], last_modified=rows[0][1]) if rows else None


def save(conn: Connection, *, resource: str, validators: Validators, context: str) -> None:
    """In the transaction that applied the listing; a shop that sent none leaves none saved."""
    if validators.etag or validators.last_modified:
        conn.run(
            SAVE,
            resource=resource,
            etag=validators.etag,
            last_modified=validators.last_modified,
            context=context,
        )
    else:
        conn.run(FORGET, resource=resource)
