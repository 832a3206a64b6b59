"""Can the group comply with its capacity? (``ComplianceTracker``, FR.04.01-FR.04.04): the
results of the caps sent to its EVSEs, EVSEs that never answer (on a manual clock), a newer
evaluation superseding an older one, and a measured overload (FR.04.02)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from oscp_fp.compliance import ComplianceTracker, result_failure
from wiseevp_common.bus import Delivery
from wiseevp_common.clock import ManualClock
from wiseevp_common.messages.oscp20 import ForecastedBlock, ForecastedBlockUnit, PhaseIndicator
from wiseevp_common.topology import encode_level

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
WAIT_S = 60.0
BLOCKS = [
    ForecastedBlock(
        capacity=Decimal(16),
        phase=PhaseIndicator.ALL,
        unit=ForecastedBlockUnit.A,
        start_time=T0,
        end_time=T0 + timedelta(minutes=15),
    )
]
ACCEPTED = "accepted"
REFUSED = "refused"


@dataclass(frozen=True)
class Sent:
    group_id: str
    forecast_request_id: str
    message: str
    blocks: list[ForecastedBlock]


class Recorder:
    """The compliance sender: what would go to the Capacity Provider."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []

    async def __call__(
        self, group_id: str, forecast_request_id: str, message: str, blocks: list[ForecastedBlock]
    ) -> None:
        self.sent.append(Sent(group_id, forecast_request_id, message, blocks))


def frame(request_id: str, answer: str) -> list[Any]:
    if answer == ACCEPTED:
        return [3, request_id, {"status": "Accepted"}]
    if answer == REFUSED:
        return [
            4,
            request_id,
            "NotSupported",
            "the station rejected the profile and has no max-current key",
            {"reason": "profile-not-applied"},
        ]
    return [3, request_id, {"status": answer}]


def result(evse_id: str, request_id: str, answer: str | bytes) -> Delivery:
    """The EVSE wrapper's result of a SetChargingProfile command, as the bus delivers it."""
    body = answer if isinstance(answer, bytes) else json.dumps(frame(request_id, answer)).encode()
    key = f"MQTT.EVSE.{encode_level(evse_id)}.result.setchargingprofile.{request_id}"
    return Delivery(body, "MQTT", key, {}, None, None, None, 1)


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def sender() -> Recorder:
    return Recorder()


@pytest.fixture
async def tracker(clock: ManualClock, sender: Recorder) -> AsyncIterator[ComplianceTracker]:
    """A tracker whose ``run()`` loop is running on the manual clock."""
    tracking = ComplianceTracker(clock, WAIT_S)
    tracking.attach(sender)
    task = asyncio.create_task(tracking.run())
    await settle()
    try:
        yield tracking
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


CAPS = {"r-1": "EVSE.1", "r-2": "EVSE.2", "r-3": "EVSE.3"}


# -- caps answered ----------------------------------------------------------------------------


async def test_all_accepted_is_no_error(
    tracker: ComplianceTracker, clock: ManualClock, sender: Recorder
) -> None:
    """FR.04.04: a forecast that is complied with sends nothing."""
    tracker.expect("area-1", "forecast-1", BLOCKS, CAPS)
    for request_id, evse_id in CAPS.items():
        await tracker.handle_result(result(evse_id, request_id, ACCEPTED))
    await clock.advance(WAIT_S * 2)
    await settle()
    assert sender.sent == []


async def test_one_callerror_is_an_error_naming_the_evse_and_reason(
    tracker: ComplianceTracker, sender: Recorder
) -> None:
    """FR.04.01: an EVSE that cannot apply its cap leaves the group unable to comply; the
    error goes at once, for the forecast concerned."""
    tracker.expect("area-1", "forecast-1", BLOCKS, CAPS)
    await tracker.handle_result(result("EVSE.1", "r-1", ACCEPTED))
    await tracker.handle_result(result("EVSE.2", "r-2", REFUSED))
    assert sender.sent == []  # EVSE.3 has not answered yet
    await tracker.handle_result(result("EVSE.3", "r-3", ACCEPTED))
    (error,) = sender.sent
    assert error.group_id == "area-1"
    assert error.forecast_request_id == "forecast-1"
    assert error.blocks == BLOCKS
    assert "group area-1" in error.message
    assert "1 of 3 EVSEs did not apply their limit" in error.message
    assert "EVSE.2: profile-not-applied: the station rejected the profile" in error.message
    assert "EVSE.1" not in error.message and "EVSE.3" not in error.message


async def test_a_rejected_status_is_an_error(tracker: ComplianceTracker, sender: Recorder) -> None:
    caps = {"r-1": "EVSE.1"}
    tracker.expect("area-2", "forecast-9", BLOCKS, caps)
    await tracker.handle_result(result("EVSE.1", "r-1", "Rejected"))
    (error,) = sender.sent
    assert error.forecast_request_id == "forecast-9"
    assert "EVSE.1: station answered Rejected" in error.message


async def test_every_failure_is_listed_in_order(
    tracker: ComplianceTracker, sender: Recorder
) -> None:
    tracker.expect("area-1", "forecast-1", BLOCKS, CAPS)
    await tracker.handle_result(result("EVSE.3", "r-3", REFUSED))
    await tracker.handle_result(result("EVSE.1", "r-1", "Rejected"))
    await tracker.handle_result(result("EVSE.2", "r-2", b"not json"))
    (error,) = sender.sent
    assert "3 of 3 EVSEs" in error.message
    listed = error.message.split(" - ", 1)[1]
    assert listed == (
        "EVSE.1: station answered Rejected; EVSE.2: unreadable result; "
        "EVSE.3: profile-not-applied: the station rejected the profile and has no max-current key"
    )


async def test_many_failures_are_summarised(tracker: ComplianceTracker, sender: Recorder) -> None:
    caps = {f"r-{i}": f"EVSE.{i:02d}" for i in range(25)}
    tracker.expect("area-1", "forecast-1", BLOCKS, caps)
    for request_id, evse_id in caps.items():
        await tracker.handle_result(result(evse_id, request_id, "Rejected"))
    (error,) = sender.sent
    assert "25 of 25 EVSEs" in error.message
    assert error.message.endswith("(and 5 more)")
    assert "EVSE.19" in error.message and "EVSE.20" not in error.message


async def test_results_not_ours_are_ignored(tracker: ComplianceTracker, sender: Recorder) -> None:
    tracker.expect("area-1", "forecast-1", BLOCKS, {"r-1": "EVSE.1"})
    await tracker.handle_result(result("EVSE.1", "someone-else", REFUSED))
    not_a_result = Delivery(b"[3]", "MQTT", "MQTT.EVSE.EVSE%2E1.status", {}, None, None, None, 1)
    await tracker.handle_result(not_a_result)
    assert sender.sent == []
    await tracker.handle_result(result("EVSE.1", "r-1", ACCEPTED))
    await tracker.handle_result(result("EVSE.1", "r-1", REFUSED))  # a duplicate, too late
    assert sender.sent == []


# -- silent EVSEs -----------------------------------------------------------------------------


async def test_silent_evses_are_an_error_after_the_wait(
    tracker: ComplianceTracker, clock: ManualClock, sender: Recorder
) -> None:
    """The spec's Example 1: an EVSE that is offline cannot apply its limit."""
    tracker.expect("area-1", "forecast-1", BLOCKS, CAPS)
    await settle()
    await tracker.handle_result(result("EVSE.2", "r-2", ACCEPTED))
    await clock.advance(WAIT_S - 1)
    await settle()
    assert sender.sent == []
    await clock.advance(1)  # the deadline exactly
    await settle()
    (error,) = sender.sent
    assert error.forecast_request_id == "forecast-1"
    assert "2 of 3 EVSEs did not apply their limit" in error.message
    assert "EVSE.1: no answer (offline or unreachable)" in error.message
    assert "EVSE.3: no answer (offline or unreachable)" in error.message
    await tracker.handle_result(result("EVSE.1", "r-1", ACCEPTED))  # too late: nothing more
    await clock.advance(WAIT_S)
    await settle()
    assert len(sender.sent) == 1


async def test_the_wait_is_counted_per_evaluation(
    tracker: ComplianceTracker, clock: ManualClock, sender: Recorder
) -> None:
    tracker.expect("area-1", "forecast-1", BLOCKS, {"r-1": "EVSE.1"})
    await settle()
    await clock.advance(30)
    tracker.expect("area-2", "forecast-2", BLOCKS, {"r-2": "EVSE.2"})
    await settle()
    await clock.advance(30)  # area-1's deadline
    await settle()
    assert [s.group_id for s in sender.sent] == ["area-1"]
    await clock.advance(29)
    await settle()
    assert [s.group_id for s in sender.sent] == ["area-1"]
    await clock.advance(1)  # area-2's deadline
    await settle()
    assert [s.group_id for s in sender.sent] == ["area-1", "area-2"]


async def test_a_group_without_evses_complies(
    tracker: ComplianceTracker, clock: ManualClock, sender: Recorder
) -> None:
    tracker.expect("area-1", "forecast-1", BLOCKS, {})
    await settle()
    await clock.advance(WAIT_S)
    await settle()
    assert sender.sent == []


# -- a newer evaluation supersedes ------------------------------------------------------------


async def test_a_new_expect_supersedes_the_old(
    tracker: ComplianceTracker, clock: ManualClock, sender: Recorder
) -> None:
    """FR.04.03: each new forecast is evaluated afresh; results of the old caps are stale."""
    tracker.expect("area-1", "forecast-1", BLOCKS, {"r-1": "EVSE.1", "r-2": "EVSE.2"})
    await settle()
    await clock.advance(30)
    tracker.expect("area-1", "forecast-2", BLOCKS, {"r-3": "EVSE.1", "r-4": "EVSE.2"})
    await tracker.handle_result(result("EVSE.1", "r-1", REFUSED))  # stale
    await tracker.handle_result(result("EVSE.2", "r-2", REFUSED))  # stale
    assert sender.sent == []
    await clock.advance(30)  # the old deadline passes: nothing is judged on it
    await settle()
    assert sender.sent == []
    await tracker.handle_result(result("EVSE.1", "r-3", ACCEPTED))
    await tracker.handle_result(result("EVSE.2", "r-4", REFUSED))
    (error,) = sender.sent
    assert error.forecast_request_id == "forecast-2"
    assert "1 of 2 EVSEs" in error.message


async def test_each_new_forecast_that_cannot_be_complied_with_errs_again(
    tracker: ComplianceTracker, sender: Recorder
) -> None:
    """FR.04.03: while the group cannot comply, the error is sent again for each forecast."""
    for n in (1, 2):
        tracker.expect("area-1", f"forecast-{n}", BLOCKS, {f"r-{n}": "EVSE.1"})
        await tracker.handle_result(result("EVSE.1", f"r-{n}", REFUSED))
    assert [s.forecast_request_id for s in sender.sent] == ["forecast-1", "forecast-2"]


async def test_other_groups_are_not_superseded(
    tracker: ComplianceTracker, sender: Recorder
) -> None:
    tracker.expect("area-1", "forecast-1", BLOCKS, {"r-1": "EVSE.1"})
    tracker.expect("area-2", "forecast-2", BLOCKS, {"r-2": "EVSE.2"})
    await tracker.handle_result(result("EVSE.1", "r-1", REFUSED))
    await tracker.handle_result(result("EVSE.2", "r-2", ACCEPTED))
    assert [(s.group_id, s.forecast_request_id) for s in sender.sent] == [("area-1", "forecast-1")]


# -- measured overload (FR.04.02) -------------------------------------------------------------


async def overload(
    tracker: ComplianceTracker,
    measured: float,
    *,
    capacity: float | None = 32.0,
    forecast: str | None = "forecast-1",
    group: str = "area-1",
) -> None:
    await tracker.measured(
        group_id=group,
        forecast_request_id=forecast,
        capacity=capacity,
        measured=measured,
        tolerance=0.05,
        unit="A",
        blocks=BLOCKS,
    )


async def test_measured_overload_is_reported_once_per_forecast(
    tracker: ComplianceTracker, sender: Recorder
) -> None:
    await overload(tracker, 33.6)  # within the 5 % tolerance
    assert sender.sent == []
    await overload(tracker, 34.0)
    await overload(tracker, 40.0)  # the same forecast: already reported
    (error,) = sender.sent
    assert error.forecast_request_id == "forecast-1"
    assert error.blocks == BLOCKS
    assert "measured load 34.0 A exceeds the consumption capacity 32.0 A (FR.04.02)" in (
        error.message
    )
    await overload(tracker, 40.0, forecast="forecast-2")
    await overload(tracker, 40.0, group="area-2")
    assert [(s.group_id, s.forecast_request_id) for s in sender.sent] == [
        ("area-1", "forecast-1"),
        ("area-1", "forecast-2"),
        ("area-2", "forecast-1"),
    ]


async def test_measured_without_a_capacity_or_forecast_is_nothing(
    tracker: ComplianceTracker, sender: Recorder
) -> None:
    await overload(tracker, 1000.0, capacity=None)
    await overload(tracker, 1000.0, forecast=None)
    assert sender.sent == []
    await overload(tracker, 0.1, capacity=0.0)
    assert len(sender.sent) == 1


async def test_without_a_sender_nothing_fails(clock: ManualClock) -> None:
    tracking = ComplianceTracker(clock, WAIT_S)
    tracking.expect("area-1", "forecast-1", BLOCKS, {"r-1": "EVSE.1"})
    await tracking.handle_result(result("EVSE.1", "r-1", REFUSED))
    await overload(tracking, 100.0)


# -- result frames ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([3, "r", {"status": "Accepted"}], None),
        ([3, "r", {"status": "Rejected"}], "station answered Rejected"),
        ([3, "r", {"status": "NotSupported"}], "station answered NotSupported"),
        ([3, "r", {}], "station answered None"),
        ([3, "r", "Accepted"], "station answered None"),
        (
            [4, "r", "NotSupported", "no SmartCharging", {"reason": "profile-not-applied"}],
            "profile-not-applied: no SmartCharging",
        ),
        ([4, "r", "InternalError", "station offline", {}], "InternalError: station offline"),
        ([4, "r", "GenericError", "timeout"], "GenericError: timeout"),
        ([4, "r", "GenericError", "x", "not a dict"], "GenericError: x"),
        ([4, "r", "GenericError"], "unreadable result"),
        ([2, "r", "SetChargingProfile", {}], "unreadable result"),
        ([3, "r"], "unreadable result"),
        ({"status": "Accepted"}, "unreadable result"),
        ("Accepted", "unreadable result"),
    ],
)
def test_result_failure(body: Any, expected: str | None) -> None:
    assert result_failure(json.dumps(body).encode()) == expected


@pytest.mark.parametrize("raw", [b"", b"not json", b"[3, ", b"\xff\xfe"])
def test_result_failure_of_unreadable_bytes(raw: bytes) -> None:
    assert result_failure(raw) == "unreadable result"
