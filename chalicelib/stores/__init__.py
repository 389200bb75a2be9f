"""The stores: the SQL of one aggregate each, set-based, with `:named` parameters.

Functions take the connection (inside the caller's transaction) as their first argument.
"""


def contains_pattern(q: str | None) -> str | None:
    """An ILIKE pattern matching `q` anywhere, with `%`, `_` and `\\` in `q` taken literally."""
    if not q or not q.strip():
        return None
    escaped = q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
