"""Security at the WebSocket handshake: profile 1 (HTTP basic auth per charge point, hashed
passwords), profile 2 (TLS plus basic auth), registration required when auto-registration is
off, and the ocpp1.6 subprotocol required."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from pathlib import Path

import asyncpg
import pytest
import websockets
from websockets.exceptions import InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from tests.conformance.ocpp16.conftest import WrapperFactory
from tests.support.evse import EvseWrapperProcess
from tests.support.ocpp_checks import basic_auth, run_admin
from tests.support.ocpp_station import OCPP16, connected

pytestmark = pytest.mark.integration

PASSWORD = "S3cret-pass:with colon"


async def refused(url: str, **connect: object) -> InvalidStatus:
    """The HTTP refusal of a handshake (the WebSocket never opens)."""
    with pytest.raises(InvalidStatus) as refusal:
        async with websockets.connect(url, **connect):  # type: ignore[arg-type]
            pass
    return refusal.value


async def test_profile_1_basic_auth_with_the_registered_password(
    wrapper_factory: WrapperFactory, fresh_db: asyncpg.Connection
) -> None:
    wrapper = wrapper_factory(WISEEVP_SECURITY_PROFILE="1")
    await asyncio.gather(
        run_admin(wrapper, "station", "add", "CP-SEC", "--password-stdin", stdin=PASSWORD + "\n"),
        run_admin(wrapper, "station", "add", "CP-NOPW"),
    )
    await wrapper.started()
    url = wrapper.ws_url("CP-SEC")

    async with connected(url, "CP-SEC", additional_headers=basic_auth("CP-SEC", PASSWORD)) as cp:
        assert (await cp.boot())["status"] == "Accepted"

    for headers in (
        basic_auth("CP-SEC", "wrong"),
        basic_auth("CP-SEC", PASSWORD + "x"),
        basic_auth("CP-OTHER", PASSWORD),  # the user must be the charge point id
        {"Authorization": "Bearer " + PASSWORD},
        {},
    ):
        refusal = await refused(url, subprotocols=[OCPP16], additional_headers=headers)
        assert refusal.response.status_code == 401, headers
        assert refusal.response.headers["WWW-Authenticate"].startswith("Basic ")

    # registered without a password, or not registered at all: no way in
    for station_id in ("CP-NOPW", "CP-UNKNOWN"):
        refusal = await refused(
            wrapper.ws_url(station_id),
            subprotocols=[OCPP16],
            additional_headers=basic_auth(station_id, PASSWORD),
        )
        assert refusal.response.status_code == 401

    stored = await fresh_db.fetchval(
        "SELECT password_hash FROM evse_wrapper.station WHERE id = $1", "CP-SEC"
    )
    assert stored.startswith("scrypt$")
    assert PASSWORD not in stored
    assert "S3cret" not in stored


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and its key), made with openssl."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_profile_2_tls_and_basic_auth(
    wrapper_factory: WrapperFactory, tmp_path: Path
) -> None:
    cert, key = await asyncio.to_thread(self_signed_certificate, tmp_path)
    wrapper = wrapper_factory(
        WISEEVP_SECURITY_PROFILE="2",
        WISEEVP_TLS_CERT_FILE=str(cert),
        WISEEVP_TLS_KEY_FILE=str(key),
    )
    await run_admin(wrapper, "station", "add", "CP-TLS", "--password-stdin", stdin=PASSWORD)
    await wrapper.started()
    url = wrapper.ws_url("CP-TLS", scheme="wss")
    trusting = ssl.create_default_context(cafile=str(cert))

    async with connected(
        url, "CP-TLS", ssl=trusting, additional_headers=basic_auth("CP-TLS", PASSWORD)
    ) as cp:
        assert (await cp.boot())["status"] == "Accepted"
        assert cp.websocket.transport.get_extra_info("ssl_object") is not None

    refusal = await refused(
        url,
        ssl=trusting,
        subprotocols=[OCPP16],
        additional_headers=basic_auth("CP-TLS", "wrong"),
    )
    assert refusal.response.status_code == 401

    # a client that does not trust the certificate, or that does not speak TLS
    with pytest.raises(ssl.SSLCertVerificationError):
        async with websockets.connect(url, ssl=ssl.create_default_context()):
            pass
    with pytest.raises((InvalidHandshake, OSError)):
        async with websockets.connect(
            wrapper.ws_url("CP-TLS"),
            subprotocols=[OCPP16],
            additional_headers=basic_auth("CP-TLS", PASSWORD),
            open_timeout=5,
        ):
            pass


async def test_without_auto_registration_only_registered_stations_connect(
    wrapper_factory: WrapperFactory, fresh_db: asyncpg.Connection
) -> None:
    wrapper = wrapper_factory(WISEEVP_AUTO_REGISTER="false")
    await run_admin(wrapper, "station", "add", "CP-KNOWN")
    await wrapper.started()

    refusal = await refused(wrapper.ws_url("CP-STRANGER"), subprotocols=[OCPP16])
    assert refusal.response.status_code == 404
    assert (
        await fresh_db.fetchval(
            "SELECT count(*) FROM evse_wrapper.station WHERE id = $1", "CP-STRANGER"
        )
        == 0
    )

    async with connected(wrapper.ws_url("CP-KNOWN"), "CP-KNOWN") as cp:
        assert (await cp.boot())["status"] == "Accepted"


async def test_auto_registration_registers_a_new_station_at_its_first_connection(
    evse_wrapper: EvseWrapperProcess, fresh_db: asyncpg.Connection
) -> None:
    async with connected(evse_wrapper.ws_url("CP-NEW"), "CP-NEW") as cp:
        await cp.boot()
    row = await fresh_db.fetchrow(
        "SELECT auto_registered, password_hash FROM evse_wrapper.station WHERE id = $1",
        "CP-NEW",
    )
    assert row is not None
    assert tuple(row) == (True, None)


async def test_the_ocpp16_subprotocol_is_required(evse_wrapper: EvseWrapperProcess) -> None:
    url = evse_wrapper.ws_url("CP-SUB")
    assert (await refused(url)).response.status_code == 400
    refusal = await refused(url, subprotocols=[Subprotocol("ocpp2.0.1")])
    assert refusal.response.status_code == 400

    async with websockets.connect(url, subprotocols=[Subprotocol("ocpp2.0.1"), OCPP16]) as ws:
        assert ws.subprotocol == "ocpp1.6"


async def test_a_path_without_one_charge_point_id_is_refused(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    for path in ("/ocpp/", "/other/CP-1", "/ocpp/CP/1", "/ocpp", "/ocpp/" + "x" * 49):
        url = f"ws://127.0.0.1:{evse_wrapper.ocpp_port}{path}"
        assert (await refused(url, subprotocols=[OCPP16])).response.status_code == 404, path
