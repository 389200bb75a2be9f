"""Staff edits: set or drop the staff value of a field, and record who did it and when.

Columns come only from the fixed field maps of `stores.orders` / `stores.products`; values are always
parameters. The previous staff value is read under a row lock, so the audit trail is exact even when
two people edit at once.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.db import Connection

ENTITY_TABLES = {"order": "orders", "product": "products"}


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=str, ensure_ascii=False)


def apply_edits(
    conn: Connection,
    *,
    entity: str,
    entity_id: int,
    changes: dict[str, Any],
    columns: dict[str, tuple[str, str]],
    edited_by: str,
) -> bool:
    """Write `changes` ({field: staff value, None to drop}); False when the record does not exist.

    `columns` maps each field to (table, staff column); `product_analytics` rows are created on demand.
    """
    main_table = ENTITY_TABLES[entity]
    if not conn.run(f"SELECT 1 FROM {main_table} WHERE id = :id FOR UPDATE", id=entity_id):
        return False
    by_table: dict[str, dict[str, Any]] = {}
    for field, value in changes.items():
        table, column = columns[field]
        by_table.setdefault(table, {})[column] = value
    old: dict[str, Any] = {}
    for table, values in by_table.items():
        key = "id" if table == main_table else "product_id"
        if table == "product_analytics":
            conn.run(
                "INSERT INTO product_analytics (product_id) VALUES (:id) ON CONFLICT DO NOTHING", id=entity_id
            )
        selected = conn.run(
            f"SELECT {', '.join(values)} FROM {table} WHERE {key} = :id FOR UPDATE", id=entity_id
        )
        old.update(zip(values, selected[0], strict=True))
        assignments = ", ".join(f"{column} = :{column}" for column in values)
        touch = ", updated_at = now()" if table == main_table else ""
        conn.run(f"UPDATE {table} SET {assignments}{touch} WHERE {key} = :id", id=entity_id, **values)
    if main_table not in by_table:  # an analytics edit still changes the product
        conn.run(f"UPDATE {main_table} SET updated_at = now() WHERE id = :id", id=entity_id)
    fields = list(changes)
    conn.run(
        """INSERT INTO staff_edits (entity, entity_id, field, old_value, new_value, edited_by)
           SELECT :entity, :id, f, CAST(o AS jsonb), CAST(n AS jsonb), :by
           FROM unnest(CAST(:fields AS text[]), CAST(:olds AS text[]), CAST(:news AS text[]))
                AS e(f, o, n)""",
        entity=entity,
        id=entity_id,
        by=edited_by,
        fields=fields,
        olds=[_json(old[columns[f][1]]) for f in fields],
        news=[_json(changes[f]) for f in fields],
    )
    return True
