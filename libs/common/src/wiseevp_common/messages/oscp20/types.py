"""OSCP 2.0 primitive datatypes (table 1 and 5.1): decimal, datetime, URL."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    BeforeValidator,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

from ..ocpp16.datetimes import parse_rfc3339
from ..types import IsoTimestamp

OSCP_VERSION = "2.0"
MAX_DECIMAL_PLACES = 8
MAX_FRACTION_DIGITS = 3
MAX_URL_LENGTH = 255
INT32_MAX = 2**31 - 1

_FRACTION = re.compile(r"[Tt]\d{2}:\d{2}:\d{2}\.(\d+)")


def _oscp_datetime(value: object) -> object:
    """RFC 3339 with an offset (1.9.1) and at most 3 fractional digits (table 1)."""
    if isinstance(value, datetime):
        return value  # Python callers; awareness is checked by AwareDatetime
    if not isinstance(value, str):
        # a JSON number would otherwise pass as a Unix timestamp
        raise ValueError("must be an RFC 3339 date-time string (OSCP 1.9.1)")
    fraction = _FRACTION.search(value)
    if fraction is not None and len(fraction.group(1)) > MAX_FRACTION_DIGITS:
        raise ValueError(
            f"at most {MAX_FRACTION_DIGITS} fractional second digits are allowed (OSCP 1.3.3)"
        )
    try:
        return parse_rfc3339(value)
    except ValueError:
        raise ValueError(
            "must be an RFC 3339 date-time with a time zone offset, "
            "e.g. 2020-01-01T00:00:00Z or 2020-01-01T02:00:00+02:00 (OSCP 1.9.1)"
        ) from None


OscpDateTime = Annotated[IsoTimestamp, BeforeValidator(_oscp_datetime)]
"""OSCP ``datetime``: RFC 3339 with an offset, ≤ 3 fraction digits; written as UTC ms ``Z``."""


def _decimal_places(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_DECIMAL_PLACES:
        raise ValueError(f"at most {MAX_DECIMAL_PLACES} decimal places are allowed (OSCP 1.3.3)")
    return value


def _no_string_numbers(value: object) -> object:
    if isinstance(value, str | bool):
        raise ValueError("must be a JSON number")
    return value


def _as_json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


Decimal8 = Annotated[
    Decimal,
    BeforeValidator(_no_string_numbers),
    AfterValidator(_decimal_places),
    PlainSerializer(_as_json_number, return_type=int | float),
    WithJsonSchema({"type": "number", "description": "at most 8 decimal places"}),
]
"""OSCP ``decimal``: a number with at most 8 decimal places, written as a JSON number."""


def _no_nul(value: str) -> str:
    """A NUL character can be carried in JSON but not stored (PostgreSQL text and jsonb
    refuse it): refused at the edge, so such a message is a 400 rather than a failure."""
    if "\x00" in value:
        raise ValueError("must not contain the NUL character (U+0000)")
    return value


def _url(value: str) -> str:
    _no_nul(value)
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/\s]", value):
        raise ValueError("must start with a protocol and '://', e.g. https://example.com/oscp")
    if value.endswith("/"):
        raise ValueError("must not end with a slash (OSCP 5.1)")
    if any(c.isspace() for c in value):
        raise ValueError("must not contain white space")
    return value


OscpUrl = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_URL_LENGTH), AfterValidator(_url)
]
"""OSCP ``URL``: at most 255 characters, with a protocol, without a trailing slash."""

NonEmptyString = Annotated[str, StringConstraints(min_length=1), AfterValidator(_no_nul)]
