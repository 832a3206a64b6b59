"""The README's main command keeps working: a short ``wiseevp demo`` run end to end, OSCP
included (capacities of the three regulation areas, caps and compliance, fallback and
recovery while the grid operator is offline)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_demo_runs_the_pilot_site_and_reports_what_flowed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wiseevp_cli", "demo", "--duration", "20"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr

    def figure(label: str) -> str:
        match = re.search(rf"{re.escape(label)}\s*:\s*(.+)", out)
        assert match, f"no {label!r} in:\n{out}"
        return match.group(1).strip()

    registered, stored = (int(x) for x in figure("EVs registered / status rows stored").split("/"))
    assert registered == 31  # Terni (OBD) 3 + Ghent 25 + Crevillent 3
    assert stored > 31
    online, nocomm = (int(x) for x in figure("EVs online / nocomm").split("/"))
    assert (online, nocomm) == (28, 3)  # the SIGKILLed Crevillent wrapper's last will
    assert int(figure("dead-lettered during the demo")) == 1  # the faulty device's message
    assert int(figure("MQTT messages published by EV wrappers")) > stored

    stations, stations_online = (
        int(x) for x in figure("charge points registered / online").split("/")
    )
    assert (stations, stations_online) == (6, 6)  # deploy/sites/demo/chargers.yaml
    _, meter_values = (int(x) for x in figure("EVSE transactions / meter values stored").split("/"))
    assert meter_values > 0
    sent, answered = (int(x) for x in figure("IOP commands sent / with a result").split("/"))
    assert sent == answered == 7
    assert re.search(r"TERNI\.EVO\.02 .*NotSupported \(not-supported-by-station; fallback", out)
    assert re.search(r"CREVILLENT\.FASTV2G\.01 +setchargingprofile -10 kW +→ Accepted", out)

    # OSCP: the grid operator's capacities reach the three regulation areas' charge points
    groups = {"terni-emotion", "ghent-partago", "crevillent-v2g"}
    assert set(figure("OSCP capacity published for groups").split(", ")) == groups
    from_cp = int(figure("OSCP forecasts accepted by the FP").split(" from the CP")[0])
    assert from_cp >= 6  # consumption and fallback for each group (regulation_areas.yaml)
    assert re.search(r"\(0 refused\)", figure("OSCP forecasts accepted by the FP"))
    for group in groups:
        row = re.search(rf"^  {group} +(\d+) +(\d+) / (\d+) +(normal|fallback) ", out, re.M)
        assert row, f"no OSCP row for {group} in:\n{out}"
        published, caps_sent, caps_accepted = (int(x) for x in row.groups()[:3])
        assert published > 0 and caps_sent > 0 and caps_accepted > 0
        assert row.group(4) == "normal"  # the CP is back online at the end
    # the station rejecting charging profiles cannot apply its cap: the CP hears of it
    assert int(figure("OSCP compliance errors received by CP")) >= 1
    assert re.search(
        r"cannot comply with the capacity of group ghent-partago: .*GHENT\.EVLINK\.02", out
    )
    assert "cannot comply with the capacity of group crevillent-v2g: 1 of 1" not in out
    # half-way the CP's heartbeats pause: the FP falls back, then recovers by a new handshake
    offline = re.fullmatch(
        r"(\d\d:\d\d) / (\d\d:\d\d) sim", figure("OSCP CP offline → fallback / recovery")
    )
    assert offline, out
    fallback_at, recovered_at = offline.groups()
    assert fallback_at < recovered_at
    assert re.search(r"fallback capacities \(terni-emotion 48 A, ghent-partago 24 A", out)
    assert re.search(
        r"grid-operator \(cp\) registered, handshake complete, online",
        figure("OSCP peers as the FP sees them"),
    )
