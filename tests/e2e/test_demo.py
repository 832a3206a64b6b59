"""The README's main command keeps working: a short ``wiseevp demo`` run end to end."""

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
