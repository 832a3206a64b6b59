"""EV battery model and the power a connector offers / an EV draws."""

from __future__ import annotations

import random

import pytest

from cp_simulator.ev import CHARGE_EFFICIENCY, Ev, random_ev
from cp_simulator.power import ev_power_w, offered_w, share_capacity


def ev(**kwargs: float | bool | None) -> Ev:
    fields: dict = {"id": "EV1", "id_tag": "T1", "capacity_kwh": 40.0, "soc": 50.0} | kwargs
    return Ev(**fields)


def test_charging_stores_energy_with_efficiency_and_reports_grid_energy() -> None:
    car = ev(target_soc=100.0)
    wh = car.apply(11_000, 3600)
    assert wh == pytest.approx(11_000)
    assert car.soc == pytest.approx(50 + 11_000 * CHARGE_EFFICIENCY / 40_000 * 100)


def test_charging_stops_exactly_at_the_target() -> None:
    car = ev(soc=79.0, target_soc=80.0)
    seconds = car.seconds_until_limit(7_400)
    assert seconds is not None
    wh = car.apply(7_400, seconds * 10)  # far longer than needed
    assert car.soc == pytest.approx(80.0)
    assert car.full
    assert wh == pytest.approx(0.01 * 40_000 / CHARGE_EFFICIENCY)
    assert car.max_charge_w(dc=False) == 0
    assert car.seconds_until_limit(7_400) is None


def test_power_tapers_above_80_percent() -> None:
    assert ev(soc=50).max_charge_w(dc=False) == 11_000
    assert ev(soc=90).max_charge_w(dc=False) == pytest.approx(11_000 * 0.6)
    assert ev(soc=90).max_charge_w(dc=True) == pytest.approx(50_000 * 0.6)


def test_only_v2g_evs_discharge_and_they_stop_at_their_floor() -> None:
    assert ev(v2g=False).max_discharge_w(dc=False) == 0
    car = ev(v2g=True, soc=21.0, min_soc=20.0)
    assert car.max_discharge_w(dc=False) == 11_000
    wh = car.apply(-5_000, 3600)
    assert car.soc == pytest.approx(20.0)
    assert car.empty
    assert wh == pytest.approx(-0.01 * 40_000 * CHARGE_EFFICIENCY)
    assert car.max_discharge_w(dc=False) == 0


def test_invalid_evs_are_refused() -> None:
    with pytest.raises(ValueError, match="capacity"):
        ev(capacity_kwh=0)
    with pytest.raises(ValueError, match="soc"):
        ev(soc=120)


def test_random_evs_are_plausible_and_reproducible() -> None:
    a = [random_ev(random.Random(7), f"EV{i}", 0.5) for i in range(3)]
    b = [random_ev(random.Random(7), f"EV{i}", 0.5) for i in range(3)]
    assert a == b
    rng = random.Random(1)
    for i in range(200):
        car = random_ev(rng, f"EV{i}", 0.3)
        assert 20 <= car.capacity_kwh <= 80
        assert 10 <= car.soc <= 60
        assert 80 <= car.target_soc <= 100
        assert car.dwell_s is not None and 3600 <= car.dwell_s <= 36_000


def test_offered_power_is_capped_by_hardware_max_current_and_profile() -> None:
    assert offered_w(22_080, 6_900, None) == 6_900
    assert offered_w(22_080, 50_000, 11_000) == 11_000
    assert offered_w(22_080, 6_900, -10_000) == -6_900  # discharge capped like charging
    assert offered_w(22_080, 50_000, -5_000) == -5_000


def test_ev_power_follows_the_sign_of_the_offer() -> None:
    v2g = ev(v2g=True)
    assert ev_power_w(7_000, v2g, dc=False, v2g_station=True) == 7_000
    assert ev_power_w(-5_000, v2g, dc=False, v2g_station=True) == -5_000
    assert ev_power_w(-5_000, v2g, dc=False, v2g_station=False) == 0
    assert ev_power_w(-5_000, ev(v2g=False), dc=False, v2g_station=True) == 0
    assert ev_power_w(50_000, v2g, dc=False, v2g_station=True) == 11_000


def test_share_capacity_gives_unused_shares_to_the_others() -> None:
    assert share_capacity(20_000, [3_000, 11_000, 11_000]) == [3_000, 8_500, 8_500]
    assert share_capacity(30_000, [3_000, 11_000]) == [3_000, 11_000]
    assert share_capacity(10_000, [0, 11_000, -4_000]) == [0, 10_000, -4_000]
    assert share_capacity(0, [11_000]) == [0]
