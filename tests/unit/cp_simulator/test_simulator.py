"""The whole simulator: random arrivals over a simulated half day, stats and the status
endpoint, TLS with a self-signed certificate, and the command line."""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from cp_simulator.cli import main
from cp_simulator.config import StationConfig
from tests.unit.cp_simulator.central_system import CentralSystem, until
from tests.unit.cp_simulator.conftest import simulating
from wiseevp_common.clock import ManualClock


async def test_random_arrivals_over_half_a_day_deliver_every_meter_value(
    central_system: CentralSystem, clock: ManualClock
) -> None:
    cs = central_system
    stations = (
        StationConfig("SITE-0001", v2g=True, meter_interval_s=300),
        StationConfig("SITE-0002", meter_interval_s=300),
    )
    options = {"random_arrivals": True, "mean_arrival_gap_s": 2 * 3600.0, "seed": 4}
    async with simulating(cs, clock, *stations, status_port=0, **options) as sim:
        for _ in range(12 * 12):  # 12 h in 5-minute steps
            await clock.advance(300)
            await asyncio.sleep(0.001)
        await until(lambda: sim.stats()["total"]["tx_messages_queued"] == 0, timeout=20)
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{sim.status_port}/status") as response,
        ):
            status = await response.json()
        total = sim.stats()["total"]
    assert total["transactions_started"] >= 4
    assert total["meter_values_produced"] == total["meter_values_delivered"] > 50
    received = sum(len(cs.payloads(s.id, "MeterValues")) for s in stations)
    assert received == total["meter_values_produced"]
    assert total["call_errors_received"] == 0
    assert status["total"]["stations"] == 2 and set(status["stations"]) == {
        "SITE-0001",
        "SITE-0002",
    }
    assert {"status", "power_w", "offered_w", "soc", "transaction_id"} <= set(
        status["stations"]["SITE-0001"]["connectors"]["1"]
    )


@pytest.fixture
def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (key, cert), made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return key, cert


async def test_tls_with_a_self_signed_certificate(
    self_signed: tuple[Path, Path], clock: ManualClock
) -> None:
    key, cert = self_signed
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    async with CentralSystem(tls) as cs:
        assert cs.url.startswith("wss://")
        async with simulating(cs, clock, StationConfig("TLS-1"), ca_file=str(cert)) as sim:
            assert sim.station("TLS-1").online
        async with simulating(cs, clock, StationConfig("TLS-2"), insecure=True) as sim:
            assert sim.station("TLS-2").online


async def test_command_line_runs_a_simulated_period_and_prints_final_stats(
    central_system: CentralSystem,
) -> None:
    args = [
        "--url", central_system.url, "--stations", "2", "--prefix", "CLI", "--connectors", "1",
        "--speed", "7200", "--duration", "3600", "--seed", "3", "--password", "pw",
        "--mean-arrival-gap", "600", "--status-port", "0", "--no-validate",
    ]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cp_simulator", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(60):
        out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    final = json.loads(out.decode().strip().splitlines()[-1])
    assert final["stations"] == 2
    assert final["boots_accepted"] == 2
    assert set(central_system.connects) == {"CLI-0001", "CLI-0002"}
    assert central_system.auth_headers["CLI-0001"] is not None


def test_command_line_help_describes_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--stations-file", "--v2g", "--speed", "--status-port", "--meter-interval"):
        assert flag in out


def test_command_line_refuses_a_bad_station_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "site.json"
    bad.write_text('{"stations": [{"id": "A", "colour": "red"}]}')
    assert main(["--url", "ws://x", "--stations-file", str(bad)]) == 2
    assert "colour" in capsys.readouterr().err
