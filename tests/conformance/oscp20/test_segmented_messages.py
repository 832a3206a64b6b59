"""OSCP 2.0 segmented messages (4.1.2.1) at our FP's endpoints: reassembly in index order,
the segment headers and their errors, and the segment timeout, sent by a Capacity Provider
played by hand (tests/support/oscp_raw.py) so every header and byte is the test's."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.conformance.oscp20.raw_helpers import (
    GROUP,
    forecast,
    joined_raw,  # noqa: F401  (the fixture raw)
    refused,
)
from tests.support.oscp_raw import RawPeer
from tests.support.oscp_site import OscpSite
from tests.support.waiting import wait_for_value
from wiseevp_oscp.endpoints import Endpoint, Header

SEGMENT_TIMEOUT_S = 30.0
"""The FP's segment timeout (PartyConfig default), simulated seconds."""


async def applied(site: OscpSite, request_id: str | None) -> None:
    await site.wait_capacity(lambda c: c.forecast_request_id == request_id, GROUP)


# -- segmented messages (4.1.2.1) -------------------------------------------------------------


def thirds(body: bytes) -> list[bytes]:
    size = len(body) // 3 + 1
    return [body[i : i + size] for i in range(0, len(body), size)]


async def test_4_1_2_1_segmented_message_is_reassembled_in_index_order(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.1.2.1: a message too large for one request can be sent in segments, each with
    X-Segment-Index (the first is 1) and X-Segment-Count; all segments after the first SHALL
    refer to the first in X-Correlation-ID, and the receiver combines the segments in order of
    X-Segment-Index. Sent out of order (3, 1, 2), the UpdateGroupCapacityForecast is applied
    as the first segment's request; each segment's response refers to its own request."""
    parts = thirds(json.dumps(forecast(cp_site, 20, 18, 16, 14)).encode())
    assert len(parts) == 3
    first = "segmented-1"
    answers = []
    for index in (3, 1, 2):
        answers.append(
            await raw.send(
                Endpoint.UPDATE_GROUP_CAPACITY_FORECAST,
                parts[index - 1],
                request_id=first if index == 1 else f"segmented-{index}",
                correlation_id=None if index == 1 else first,
                segment=(index, 3),
            )
        )
    for answer in answers:
        assert answer.status == 204, (answer.status, answer.body)
        assert answer.correlation_id == answer.request_id

    capacity = await cp_site.wait_capacity(lambda c: c.forecast_request_id == first, GROUP)
    assert [b.consumption for b in capacity.blocks] == [20, 18, 16, 14]


async def test_4_1_2_1_segment_index_above_count_is_refused(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.1.2.1: X-Segment-Index is the current segment number (the first is 1) of
    X-Segment-Count segments; an index of 0 or beyond the count is a bad request."""
    for index, count in (("4", "3"), ("0", "3"), ("1", "0")):
        response = await raw.send(
            Endpoint.UPDATE_GROUP_CAPACITY_FORECAST,
            b'{"group_id": ',
            headers={Header.SEGMENT_INDEX.value: index, Header.SEGMENT_COUNT.value: count},
        )
        refused(response, 400, "X-Segment-")


async def test_4_1_2_1_non_integer_segment_header_is_refused(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.1.2.1 / 1.3.3: X-Segment-Index and X-Segment-Count are integers (no leading 0s, no
    plus sign); anything else is a bad request."""
    for name in (Header.SEGMENT_INDEX, Header.SEGMENT_COUNT):
        for bad in ("x", "1.0", "01", "+1", "-1", ""):
            headers = {Header.SEGMENT_INDEX.value: "1", Header.SEGMENT_COUNT.value: "2"}
            headers[name.value] = bad
            response = await raw.send(
                Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, b'{"group_id": ', headers=headers
            )
            refused(response, 400, name.value)


async def test_4_1_2_1_only_one_segment_header_is_refused(cp_site: OscpSite, raw: RawPeer) -> None:
    """4.1.2.1: if a message is segmented, the headers X-Segment-Index and X-Segment-Count
    SHALL be present on every segment; one without the other is a bad request."""
    for present, missing in (
        (Header.SEGMENT_INDEX, Header.SEGMENT_COUNT),
        (Header.SEGMENT_COUNT, Header.SEGMENT_INDEX),
    ):
        response = await raw.send(
            Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, b'{"group_id": ', headers={present.value: "1"}
        )
        refused(response, 400, missing.value)


async def test_4_1_2_1_later_segment_without_correlation_id_is_refused(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.1.2.1: all segments after the first SHALL refer to the first segment in the header
    X-Correlation-ID; one that does not is a bad request."""
    response = await raw.send(
        Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, b'"}', segment=(2, 2), omit=["X-Correlation-ID"]
    )
    refused(response, 400, Header.CORRELATION_ID.value)


def timed_out(site: OscpSite, request_id: str) -> list[dict[str, Any]]:
    """The FP's log records of segmented messages it dropped, for ``request_id``."""
    records = [json.loads(line) for line in site.fp.logs().splitlines() if line.startswith("{")]
    return [
        r
        for r in records
        if r.get("msg", "").startswith("segmented message timed out")
        and r.get("request_id") == request_id
    ]


async def test_4_1_2_1_incomplete_segmented_message_is_dropped_after_the_timeout(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.1.2.1: the receiver combines all segments to get the full message. One whose
    segments do not all arrive is never applied: the FP drops it after its segment timeout,
    and a segment arriving later does not complete it."""
    parts = thirds(json.dumps(forecast(cp_site, 20, 18, 16, 14)).encode())
    first = "incomplete-1"
    for index in (1, 2):
        response = await raw.send(
            Endpoint.UPDATE_GROUP_CAPACITY_FORECAST,
            parts[index - 1],
            request_id=first if index == 1 else f"incomplete-{index}",
            correlation_id=None if index == 1 else first,
            segment=(index, 3),
        )
        assert response.status == 204, response.body
    timeout_real_s = SEGMENT_TIMEOUT_S / cp_site.clock.speed
    (dropped,) = await wait_for_value(
        lambda: timed_out(cp_site, first), bool, timeout=4 * timeout_real_s, what="the drop"
    )
    assert dropped["received_segments"] == [1, 2]
    assert dropped["segment_count"] == 3

    late = await raw.send(
        Endpoint.UPDATE_GROUP_CAPACITY_FORECAST,
        parts[2],
        request_id="incomplete-3",
        correlation_id=first,
        segment=(3, 3),
    )
    assert late.status == 204, late.body
    marker = await raw.send(Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, forecast(cp_site, 12))
    assert marker.status == 204, marker.body
    await applied(cp_site, marker.request_id)
    await asyncio.sleep(0.2)
    assert not [c for c in cp_site.capacities(GROUP) if c.forecast_request_id == first]
