"""Readable texts for rejected input: one summary of a pydantic ``ValidationError``, used by
dead letters, RPC error replies and HTTP 400 bodies alike."""

from __future__ import annotations

from pydantic import ValidationError


def describe_validation_error(exc: ValidationError, limit: int | None = None) -> str:
    """``field: message`` for each error, ``; ``-separated, inputs never echoed; with ``limit``
    only the first ones and ``(+N more)``."""
    errors = exc.errors(include_input=False, include_url=False)
    shown = errors if limit is None else errors[:limit]
    parts = []
    for err in shown:
        where = ".".join(str(p) for p in err["loc"]) or "payload"
        parts.append(f"{where}: {err['msg']}")
    more = len(errors) - len(shown)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")
