"""The station's websocket to the central system: URL, basic auth, TLS, reconnect with backoff."""

from __future__ import annotations

import base64
import logging
import random
import ssl
from urllib.parse import quote

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

from wiseevp_common.clock import Clock

from .station import Station

log = logging.getLogger(__name__)
SUBPROTOCOL = Subprotocol("ocpp1.6")


def station_url(base_url: str, station_id: str) -> str:
    """``<base_url>/<charge point id>``, the id percent-encoded."""
    return f"{base_url.rstrip('/')}/{quote(station_id, safe='')}"


def basic_auth_header(station_id: str, password: str) -> str:
    """HTTP basic auth as OCPP 1.6 security profile 1/2: user = charge point id."""
    token = base64.b64encode(f"{station_id}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def ssl_context(
    url: str, ca_file: str | None = None, insecure: bool = False
) -> ssl.SSLContext | None:
    """TLS settings for ``wss://`` (``None`` for ``ws://``). ``insecure`` skips verification
    (self-signed test certificates)."""
    if not url.startswith("wss://"):
        return None
    context = ssl.create_default_context(cafile=ca_file)
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def backoff_s(attempt: int, min_s: float, max_s: float, rng: random.Random) -> float:
    """Exponential backoff with jitter: ``min_s x 2^attempt`` (capped), ±25 %."""
    base = min(max_s, min_s * 2.0 ** min(attempt, 30))
    return base * rng.uniform(0.75, 1.25)


async def run_link(
    station: Station,
    base_url: str,
    clock: Clock,
    *,
    tls: ssl.SSLContext | None = None,
    min_backoff_s: float = 1.0,
    max_backoff_s: float = 60.0,
    rng: random.Random | None = None,
) -> None:
    """Keep ``station`` connected until cancelled: connect, serve, and after a failure or a
    closed connection wait (on the clock) and connect again."""
    url = station_url(base_url, station.id)
    headers = {}
    if station.config.password is not None:
        headers["Authorization"] = basic_auth_header(station.id, station.config.password)
    rng = rng or random.Random(station.id)
    failures = 0
    while True:
        try:
            async with connect(
                url,
                subprotocols=[SUBPROTOCOL],
                additional_headers=headers,
                ssl=tls,
                proxy=None,
                open_timeout=10,
                close_timeout=2,
                ping_interval=None,
            ) as ws:
                failures = 0
                await station.serve(ws)
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            failures += 1
            log.info("%s: cannot connect to %s: %s", station.id, url, exc)
        except Exception:
            failures += 1
            log.exception("%s: connection failed", station.id)
        await clock.sleep(backoff_s(max(0, failures - 1), min_backoff_s, max_backoff_s, rng))
