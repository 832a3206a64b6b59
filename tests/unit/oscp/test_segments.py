"""Segmented messages (OSCP 4.1.2.1): splitting, header parsing, reassembly and timeouts."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime

import pytest

from wiseevp_common.clock import ManualClock
from wiseevp_oscp.errors import OscpError
from wiseevp_oscp.segments import (
    MAX_SEGMENT_COUNT,
    Assembled,
    Expired,
    Reassembler,
    SegmentError,
    parse_segment_headers,
    split,
)

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
CP = "cp-1"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def reassembler(clock: ManualClock) -> Reassembler:
    return Reassembler(clock, timeout_s=60)


# -- split ----------------------------------------------------------------------------------


def test_split_returns_the_body_when_it_fits() -> None:
    assert split(b"hello", 5) == [b"hello"]
    assert split(b"hello", 1000) == [b"hello"]
    assert split(b"", 10) == [b""]


def test_split_cuts_in_order_with_a_short_last_segment() -> None:
    assert split(b"abcdefg", 3) == [b"abc", b"def", b"g"]
    assert split(b"abcdef", 3) == [b"abc", b"def"]


def test_split_refuses_a_bad_size_and_too_many_segments() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        split(b"abc", 0)
    assert len(split(b"x" * MAX_SEGMENT_COUNT, 1)) == MAX_SEGMENT_COUNT
    with pytest.raises(ValueError, match="more than the 1000 allowed"):
        split(b"x" * (MAX_SEGMENT_COUNT + 1), 1)


# -- headers --------------------------------------------------------------------------------


def test_unsegmented_message_has_no_segment_headers() -> None:
    assert parse_segment_headers({"X-Request-ID": "1"}) is None
    assert parse_segment_headers({}) is None


def test_segment_headers_are_read_case_insensitively() -> None:
    assert parse_segment_headers({"X-Segment-Index": "2", "X-Segment-Count": "3"}) == (2, 3)
    assert parse_segment_headers({"x-segment-index": "1", "X-SEGMENT-COUNT": "1"}) == (1, 1)
    assert parse_segment_headers({"X-Segment-Index": " 7 ", "X-Segment-Count": "1000"}) == (
        7,
        1000,
    )


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"X-Segment-Index": "1"}, "X-Segment-Count is missing"),
        ({"X-Segment-Count": "2"}, "X-Segment-Index is missing"),
        ({"X-Segment-Index": "0", "X-Segment-Count": "2"}, "X-Segment-Index must be a positive"),
        ({"X-Segment-Index": "1", "X-Segment-Count": "0"}, "X-Segment-Count must be a positive"),
        ({"X-Segment-Index": "+1", "X-Segment-Count": "2"}, "without sign"),
        ({"X-Segment-Index": "-1", "X-Segment-Count": "2"}, "without sign"),
        ({"X-Segment-Index": "01", "X-Segment-Count": "2"}, "leading zeros"),
        ({"X-Segment-Index": "1.0", "X-Segment-Count": "2"}, "positive integer"),
        ({"X-Segment-Index": "1", "X-Segment-Count": "2e1"}, "positive integer"),
        ({"X-Segment-Index": "one", "X-Segment-Count": "2"}, "positive integer"),
        ({"X-Segment-Index": "", "X-Segment-Count": "2"}, "positive integer"),
        (
            {"X-Segment-Index": "\u0661", "X-Segment-Count": "2"},
            "positive integer",
        ),  # non-ASCII digit
        ({"X-Segment-Index": "1", "X-Segment-Count": "9" * 40}, "positive integer"),
        ({"X-Segment-Index": "3", "X-Segment-Count": "2"}, "between 1 and X-Segment-Count"),
        ({"X-Segment-Index": "1", "X-Segment-Count": "1001"}, "between 1 and 1000"),
    ],
)
def test_bad_segment_headers_are_refused(headers: dict[str, str], message: str) -> None:
    with pytest.raises(SegmentError, match=message) as error:
        parse_segment_headers(headers)
    assert error.value.status == 400
    assert isinstance(error.value, ValueError) and isinstance(error.value, OscpError)
    assert error.value.message == str(error.value)


# -- reassembly -----------------------------------------------------------------------------


def test_single_segment_message_is_complete_at_once(reassembler: Reassembler) -> None:
    done = reassembler.add(CP, "1001", "1000", 1, 1, b"{}")
    assert done == Assembled(request_id="1001", correlation_id="1000", body=b"{}", segments=1)
    assert reassembler.pending == 0


def test_segments_in_order(reassembler: Reassembler) -> None:
    """The example of 4.1.2.1.1, following its rule: segment 2 names segment 1 (1001)."""
    assert reassembler.add(CP, "1001", "1000", 1, 2, b'{"group_id": ') is None
    assert reassembler.pending == 1
    done = reassembler.add(CP, "1002", "1001", 2, 2, b'"g1"}')
    assert done == Assembled("1001", "1000", b'{"group_id": "g1"}', 2)
    assert reassembler.pending == 0


def test_segments_out_of_order_are_joined_in_index_order(reassembler: Reassembler) -> None:
    assert reassembler.add(CP, "r3", "r1", 3, 4, b"C") is None
    assert reassembler.add(CP, "r4", "r1", 4, 4, b"D") is None
    assert reassembler.add(CP, "r1", None, 1, 4, b"A") is None
    done = reassembler.add(CP, "r2", "r1", 2, 4, b"B")
    assert done == Assembled("r1", None, b"ABCD", 4)


def test_first_segment_ids_are_reported_even_when_it_arrives_last(
    reassembler: Reassembler,
) -> None:
    assert reassembler.add(CP, "r2", "r1", 2, 2, b"B") is None
    done = reassembler.add(CP, "r1", "earlier-request", 1, 2, b"A")
    assert done is not None
    assert (done.request_id, done.correlation_id, done.body) == ("r1", "earlier-request", b"AB")


def test_messages_of_different_senders_and_ids_do_not_mix(reassembler: Reassembler) -> None:
    assert reassembler.add("cp-1", "x", None, 1, 2, b"cp1-") is None
    assert reassembler.add("co-1", "x", None, 1, 2, b"co1-") is None
    assert reassembler.add("cp-1", "y", None, 1, 2, b"other-") is None
    assert reassembler.pending == 3
    co = reassembler.add("co-1", "x2", "x", 2, 2, b"end")
    cp = reassembler.add("cp-1", "x2", "x", 2, 2, b"end")
    assert co is not None and co.body == b"co1-end"
    assert cp is not None and cp.body == b"cp1-end"
    assert reassembler.pending == 1


def test_identical_duplicate_is_ignored(reassembler: Reassembler) -> None:
    assert reassembler.add(CP, "r1", None, 1, 3, b"A") is None
    assert reassembler.add(CP, "r1", None, 1, 3, b"A") is None  # retried first segment
    assert reassembler.add(CP, "r2", "r1", 2, 3, b"B") is None
    assert reassembler.add(CP, "r2-retry", "r1", 2, 3, b"B") is None  # retry, new request id
    done = reassembler.add(CP, "r3", "r1", 3, 3, b"C")
    assert done is not None and done.body == b"ABC"


def test_duplicate_with_different_content_is_refused(reassembler: Reassembler) -> None:
    assert reassembler.add(CP, "r1", None, 1, 2, b"A") is None
    with pytest.raises(SegmentError, match="already received with different content"):
        reassembler.add(CP, "r1", None, 1, 2, b"X")
    done = reassembler.add(CP, "r2", "r1", 2, 2, b"B")  # the message itself is unharmed
    assert done is not None and done.body == b"AB"


def test_later_segment_without_correlation_id_is_refused(reassembler: Reassembler) -> None:
    for missing in (None, ""):
        with pytest.raises(SegmentError, match="has no X-Correlation-ID"):
            reassembler.add(CP, "r2", missing, 2, 2, b"B")
    assert reassembler.pending == 0


def test_count_must_agree_between_segments(reassembler: Reassembler) -> None:
    assert reassembler.add(CP, "r1", None, 1, 3, b"A") is None
    with pytest.raises(SegmentError, match="X-Segment-Count 2 differs from the 3"):
        reassembler.add(CP, "r2", "r1", 2, 2, b"B")
    assert reassembler.add(CP, "r2", "r1", 2, 3, b"B") is None
    assert reassembler.pending == 1


def test_add_checks_index_and_count(reassembler: Reassembler) -> None:
    with pytest.raises(SegmentError, match="between 1 and X-Segment-Count"):
        reassembler.add(CP, "r1", None, 0, 2, b"A")
    with pytest.raises(SegmentError, match="between 1 and X-Segment-Count"):
        reassembler.add(CP, "r3", "r1", 3, 2, b"A")
    with pytest.raises(SegmentError, match="between 1 and 1000"):
        reassembler.add(CP, "r1", None, 1, MAX_SEGMENT_COUNT + 1, b"A")
    assert reassembler.pending == 0


def test_too_many_pending_messages_are_refused(clock: ManualClock) -> None:
    reassembler = Reassembler(clock, timeout_s=60, max_pending=2)
    assert reassembler.add(CP, "a", None, 1, 2, b"A") is None
    assert reassembler.add(CP, "b", None, 1, 2, b"B") is None
    with pytest.raises(SegmentError, match=r"too many segmented messages are incomplete \(2\)"):
        reassembler.add(CP, "c", None, 1, 2, b"C")
    # segments of messages already pending are still taken
    done = reassembler.add(CP, "a2", "a", 2, 2, b"!")
    assert done is not None and done.body == b"A!"
    assert reassembler.add(CP, "c", None, 1, 2, b"C") is None


def test_message_too_large_is_refused_and_dropped(clock: ManualClock) -> None:
    reassembler = Reassembler(clock, timeout_s=60, max_message_bytes=10)
    assert reassembler.add(CP, "r1", None, 1, 3, b"12345") is None
    assert reassembler.add(CP, "r2", "r1", 2, 3, b"12345") is None  # exactly the limit
    with pytest.raises(SegmentError, match="larger than 10 bytes"):
        reassembler.add(CP, "r3", "r1", 3, 3, b"6")
    assert reassembler.pending == 0
    with pytest.raises(SegmentError, match="larger than 10 bytes"):
        reassembler.add(CP, "s1", None, 1, 1, b"x" * 11)
    assert reassembler.pending == 0
    done = reassembler.add(CP, "t1", None, 1, 1, b"x" * 10)
    assert done is not None and len(done.body) == 10


def test_constructor_checks_its_limits(clock: ManualClock) -> None:
    with pytest.raises(ValueError, match="timeout_s"):
        Reassembler(clock, timeout_s=0)
    with pytest.raises(ValueError, match="max_pending"):
        Reassembler(clock, timeout_s=1, max_pending=0)
    with pytest.raises(ValueError, match="max_message_bytes"):
        Reassembler(clock, timeout_s=1, max_message_bytes=0)


# -- timeouts -------------------------------------------------------------------------------


async def test_expire_drops_messages_older_than_the_timeout(
    clock: ManualClock, reassembler: Reassembler
) -> None:
    reassembler.add(CP, "old2", "old", 2, 3, b"B")
    await clock.advance(30)
    reassembler.add(CP, "old", None, 1, 3, b"A")  # a later segment does not extend the time
    reassembler.add("co-1", "new", None, 1, 2, b"A")
    await clock.advance(30)
    assert reassembler.expire() == []  # exactly the timeout is not older than it
    await clock.advance(0.001)
    assert reassembler.expire() == [Expired(CP, "old", (1, 2), 3)]
    assert reassembler.pending == 1
    await clock.advance(30)
    assert reassembler.expire() == [Expired("co-1", "new", (1,), 2)]
    assert reassembler.pending == 0
    assert reassembler.expire() == []


async def test_expired_message_starts_over(clock: ManualClock, reassembler: Reassembler) -> None:
    reassembler.add(CP, "r1", None, 1, 2, b"A")
    await clock.advance(61)
    assert len(reassembler.expire()) == 1
    assert reassembler.add(CP, "r2", "r1", 2, 2, b"B") is None  # segment 1 is gone
    assert reassembler.pending == 1


async def test_run_expires_periodically_and_logs(
    clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    reassembler = Reassembler(clock, timeout_s=8)
    assert reassembler.period_s == 2
    assert Reassembler(clock, timeout_s=0.01).period_s == 0.05
    reassembler.add(CP, "r1", "r0", 1, 3, b"A")
    reassembler.add(CP, "r3", "r1", 3, 3, b"C")
    task = asyncio.create_task(reassembler.run())
    try:
        await asyncio.sleep(0)
        assert clock.sleepers == 1
        with caplog.at_level(logging.WARNING, logger="wiseevp_oscp.segments"):
            await clock.advance(8)
            assert reassembler.pending == 1
            await clock.advance(2)
            assert reassembler.pending == 0
        (record,) = caplog.records
        assert record.getMessage() == "segmented message timed out: 2 of 3 segments received"
        assert record.__dict__["sender"] == CP
        assert record.__dict__["request_id"] == "r1"
        assert record.__dict__["received_segments"] == [1, 3]
        assert clock.sleepers == 1  # still looping
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


# -- round trip -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(25))
def test_split_and_reassemble_round_trip(seed: int, clock: ManualClock) -> None:
    """Random bodies and segment sizes, segments shuffled and some retried before the end."""
    rng = random.Random(seed)
    reassembler = Reassembler(clock, timeout_s=60)
    body = rng.randbytes(rng.randint(0, 5000))
    size = rng.randint(1, 700)
    segments = split(body, size)
    assert len(segments) == max(1, -(-len(body) // size))
    assert all(len(s) <= size for s in segments)
    assert b"".join(segments) == body
    deliveries = list(enumerate(segments, start=1))
    rng.shuffle(deliveries)
    for _ in range(3):  # retries of already sent segments, all before the last new one
        if len(deliveries) > 1:
            earlier = rng.randrange(len(deliveries) - 1)
            deliveries.insert(rng.randint(earlier + 1, len(deliveries) - 1), deliveries[earlier])
    first = f"req-{seed}"
    results = [
        reassembler.add(
            CP,
            first if index == 1 else f"{first}-{index}",
            "answered" if index == 1 else first,
            index,
            len(segments),
            segment,
        )
        for index, segment in deliveries
    ]
    assert results[:-1] == [None] * (len(results) - 1)
    assert results[-1] == Assembled(first, "answered", body, len(segments))
    assert reassembler.pending == 0
