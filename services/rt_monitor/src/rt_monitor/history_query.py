"""The query of every history route: a time window (``from`` inclusive, ``to`` exclusive),
the ``before`` cursor of the next page, and ``limit``; bad values are a 400 with a message."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from wiseevp_common.messages.validation import describe_validation_error

DEFAULT_LIMIT = 100


class HistoryQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    from_: AwareDatetime | None = Field(default=None, alias="from")
    to: AwareDatetime | None = None
    before: AwareDatetime | None = None
    limit: int = Field(default=DEFAULT_LIMIT, ge=1)

    @property
    def upper(self) -> datetime | None:
        """The exclusive upper bound: the earlier of ``to`` and ``before``."""
        return min((t for t in (self.to, self.before) if t is not None), default=None)


Q = TypeVar("Q", bound=HistoryQuery)


def parse_history_query(request: web.Request, model: type[Q], max_limit: int) -> Q:
    """``model`` from the query string; 400 for invalid values or a ``limit`` above
    ``max_limit``. Without ``limit`` the default applies, never above ``max_limit``."""
    try:
        query = model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise web.HTTPBadRequest(text=describe_validation_error(exc)) from None
    if "limit" not in query.model_fields_set:
        return query.model_copy(update={"limit": min(DEFAULT_LIMIT, max_limit)})
    if query.limit > max_limit:
        raise web.HTTPBadRequest(text=f"limit must be at most {max_limit}")
    return query
