from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from ev_wrapper.privacy import coarsen, public_view
from ev_wrapper.sources.fleet_model import Fleet, Phase
from wiseevp_common.messages.iop import EvStatus, EvStatusValue

T0 = datetime(2026, 5, 1, 6, tzinfo=UTC)


def run_day(fleet: Fleet, step_s: float = 60) -> list[list[EvStatus]]:
    return [
        fleet.step(T0 + timedelta(seconds=i * step_s), step_s) for i in range(int(86400 / step_s))
    ]


def test_fleet_ids_and_characteristics() -> None:
    fleet = Fleet("PARTAGO", 25, seed=1, centre=(3.72, 51.05))
    ids = [v.id for v in fleet.vehicles]
    assert ids[0] == "PARTAGO-00001" and ids[-1] == "PARTAGO-00025"
    assert len(set(ids)) == 25


def test_a_simulated_day_is_plausible() -> None:
    fleet = Fleet("TERNI", 5, seed=3, centre=(12.65, 42.56))
    day = run_day(fleet)
    seen = {s.status for step in day for s in step}
    assert {EvStatusValue.CHARGING, EvStatusValue.DISCONNECTED} <= seen
    for step in day:
        for s in step:
            assert 0 <= (s.soc or 0) <= 100
            assert s.coordinates is not None
            assert abs(s.coordinates[0] - 12.65) < 0.5 and abs(s.coordinates[1] - 42.56) < 0.5
    # odometers never go back; charging raises SoC
    for n in range(5):
        odometers = [step[n].travelled_distance or 0 for step in day]
        assert odometers == sorted(odometers)
    for prev, cur in itertools.pairwise(day):
        for a, b in zip(prev, cur, strict=True):
            if a.status is EvStatusValue.CHARGING and b.status is EvStatusValue.CHARGING:
                assert (b.soc or 0) >= (a.soc or 0)


def test_same_seed_same_day() -> None:
    a = run_day(Fleet("X", 3, seed=7, centre=(0, 0)), step_s=600)
    b = run_day(Fleet("X", 3, seed=7, centre=(0, 0)), step_s=600)
    assert a == b


def test_low_battery_vehicle_plugs_in() -> None:
    fleet = Fleet("X", 1, seed=1, centre=(0, 0))
    v = fleet.vehicles[0]
    v.soc = 5
    v.phase, v.phase_left_s = Phase.PARKED, 1
    fleet.step(T0, 60)
    assert v.phase is Phase.CHARGING


def test_public_view_drops_odometer_and_coarsens_position() -> None:
    s = EvStatus(
        id="A-1",
        timestamp=T0,
        status=EvStatusValue.CHARGING,
        soc=81.6,
        autonomy=100.4,
        coordinates=(12.646712, 42.563611),
        travelledDistance=12345.6,
    )
    p = public_view(s, grid_deg=0.01)
    dumped = p.model_dump(by_alias=True, exclude_none=True)
    assert "travelledDistance" not in dumped
    assert p.coordinates == (12.65, 42.56)
    assert p.soc == 82 and p.autonomy == 100
    assert coarsen(-0.8094, 0.05) == -0.8
