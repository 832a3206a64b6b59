"""Simulated OBD devices: speak the WiseEVP OBD protocol to the wrapper's TCP server.

Each device drives a car of the simulated fleet (:mod:`.sources.fleet_model`, the same cars
and ids as the ``simulated`` source) and answers the wrapper's queries with its readings::

    # the inventory the wrapper needs for these cars
    python -m ev_wrapper.obd_device_sim inventory --organisation EMOTION --cars 3 > cars.yaml
    WISEEVP_SOURCE=obd WISEEVP_ORGANISATION=EMOTION WISEEVP_OBD_INVENTORY=cars.yaml \\
        python -m ev_wrapper &
    # three devices, car time running 60x faster than real time
    python -m ev_wrapper.obd_device_sim run --port 5005 --organisation EMOTION --cars 3 --speed 60

Devices reconnect (1 s, doubling up to 30 s) when the connection ends, unless ``--once``.
``--silent-after N`` stops answering after N answers (the wrapper then reports the car lost).
Tests drive :class:`SimulatedObdDevice` directly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Callable, Sequence

import yaml

from .sources.fleet_model import CHARGE_EFFICIENCY, Fleet, Phase, Vehicle
from .sources.obd_protocol import (
    MAX_LINE_BYTES,
    PROTOCOL_VERSION,
    DeviceError,
    Hello,
    Position,
    ProtocolError,
    Query,
    Reading,
    Refused,
    Welcome,
    encode,
    parse_wrapper_line,
)

log = logging.getLogger("ev_wrapper.obd_device_sim")

Answer = Callable[[int], Reading | DeviceError]
"""What a device answers to query ``seq``."""

RECONNECT_MIN_S = 1.0
RECONNECT_MAX_S = 30.0


def vehicle_reading(vehicle: Vehicle, seq: int) -> Reading:
    """What an OBD device in ``vehicle`` reads: engine on while driving, doors open in the two
    minutes before a parked car leaves, plugged while charging or on the cable."""
    plugged = vehicle.phase in (Phase.PLUGGED, Phase.CHARGING)
    minutes_to_full = 0.0
    if vehicle.phase is Phase.CHARGING:
        kw = vehicle.model.power_kw * CHARGE_EFFICIENCY
        minutes_to_full = (100 - vehicle.soc) / 100 * vehicle.model.capacity_kwh / kw * 60
    doors_open = vehicle.phase is Phase.PARKED and vehicle.phase_left_s < 120
    return Reading(
        seq=seq,
        soc=round(vehicle.soc, 1),
        autonomy_km=round(min(vehicle.autonomy_km(), 5000.0), 1),
        minutes_to_full=round(minutes_to_full, 1),
        position=Position(lat=round(vehicle.lat, 6), lon=round(vehicle.lon, 6)),
        doors="open" if doors_open else "closed",
        engine="on" if vehicle.phase is Phase.DRIVING else "off",
        odometer_km=round(vehicle.odometer_km, 1),
        plugged=plugged,
    )


class VehicleAnswers:
    """Answers from a simulated car whose time runs ``speed`` times faster than real time."""

    def __init__(self, vehicle: Vehicle, speed: float = 1.0) -> None:
        self.vehicle = vehicle
        self.speed = speed
        self._last = time.monotonic()

    def __call__(self, seq: int) -> Reading:
        now = time.monotonic()
        self.vehicle.advance((now - self._last) * self.speed)
        self._last = now
        return vehicle_reading(self.vehicle, seq)


class SimulatedObdDevice:
    """One OBD device: connects, says hello, answers queries with ``answer(seq)``.

    Knobs for tests and demos: :attr:`answering` (False: queries go unanswered),
    :meth:`send_raw` (any bytes, e.g. a malformed line), :meth:`close`.
    """

    def __init__(
        self,
        device_id: str,
        answer: Answer,
        *,
        host: str = "127.0.0.1",
        port: int,
        protocol: int = PROTOCOL_VERSION,
        silent_after: int | None = None,
    ) -> None:
        self.device_id = device_id
        self.answer = answer
        self.host = host
        self.port = port
        self.protocol = protocol
        self.silent_after = silent_after
        self.answering = True
        self.queries = 0
        self.answered = 0
        self.welcome: Welcome | None = None
        self.refused: Refused | None = None
        self.welcomed = asyncio.Event()
        self._writer: asyncio.StreamWriter | None = None

    async def session(self) -> str:
        """Connect and converse until the connection ends; return how it ended."""
        self.welcome = None
        self.refused = None
        self.welcomed.clear()
        reader, writer = await asyncio.open_connection(self.host, self.port, limit=MAX_LINE_BYTES)
        self._writer = writer
        try:
            await self._write(encode(Hello(protocol=self.protocol, device=self.device_id)))
            while True:
                line = await reader.readline()
                if not line:
                    return "closed by the wrapper"
                try:
                    message = parse_wrapper_line(line)
                except ProtocolError as exc:
                    log.warning("%s: malformed line from the wrapper: %s", self.device_id, exc)
                    continue
                if isinstance(message, Refused):
                    self.refused = message
                    return f"refused: {message.reason}"
                if isinstance(message, Welcome):
                    self.welcome = message
                    self.welcomed.set()
                    log.info("%s: welcome as %s", self.device_id, message.ev)
                elif isinstance(message, Query):
                    await self._on_query(message)
        except ConnectionError as exc:
            return f"connection lost ({exc})"
        finally:
            self._writer = None
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _on_query(self, query: Query) -> None:
        self.queries += 1
        if self.silent_after is not None and self.answered >= self.silent_after:
            self.answering = False
        if not self.answering:
            return
        await self._write(encode(self.answer(query.seq)))
        self.answered += 1

    async def _write(self, data: bytes) -> None:
        if self._writer is None:
            raise ConnectionError("not connected")
        self._writer.write(data)
        await self._writer.drain()

    async def send_raw(self, data: bytes) -> None:
        """Send bytes as they are (tests: malformed lines)."""
        await self._write(data)

    def close(self) -> None:
        """Drop the connection (the session returns)."""
        if self._writer is not None:
            self._writer.close()

    async def run(self, *, once: bool = False) -> None:
        """Converse, reconnecting with back-off, until cancelled (or after one session)."""
        delay = RECONNECT_MIN_S
        while True:
            try:
                reason = await self.session()
            except OSError as exc:
                reason = f"cannot connect ({exc})"
            log.info("%s: session ended: %s", self.device_id, reason)
            if once:
                return
            delay = RECONNECT_MIN_S if self.welcome is not None else min(delay * 2, RECONNECT_MAX_S)
            await asyncio.sleep(delay)


# -- command line -----------------------------------------------------------------------------
def _fleet(args: argparse.Namespace) -> Fleet:
    return Fleet(args.organisation, args.cars, args.seed, (args.centre_lon, args.centre_lat))


def inventory_document(fleet: Fleet) -> dict[str, object]:
    """The wrapper's inventory for ``fleet`` (device ids are the EV ids)."""
    return {
        "version": 1,
        "cars": [
            {
                "id": v.id,
                "name": v.characteristics.name,
                "connector": {
                    "type": v.characteristics.connector.type.value,
                    "power": float(v.characteristics.connector.power),
                },
                "capacity": v.characteristics.capacity,
            }
            for v in fleet.vehicles
        ],
    }


async def _run_devices(args: argparse.Namespace) -> None:
    fleet = _fleet(args)
    async with asyncio.TaskGroup() as group:
        for vehicle in fleet.vehicles:
            device = SimulatedObdDevice(
                vehicle.id,
                VehicleAnswers(vehicle, args.speed),
                host=args.host,
                port=args.port,
                protocol=args.protocol,
                silent_after=args.silent_after,
            )
            group.create_task(device.run(once=args.once), name=f"device-{vehicle.id}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ev_wrapper.obd_device_sim",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("run", "connect devices to the wrapper"),
        ("inventory", "print the YAML inventory"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--organisation", default="SIM")
        sub.add_argument("--cars", type=int, default=3)
        sub.add_argument("--seed", type=int, default=1)
        sub.add_argument("--centre-lon", type=float, default=12.6467)
        sub.add_argument("--centre-lat", type=float, default=42.5636)
        if name == "run":
            sub.add_argument("--host", default="127.0.0.1")
            sub.add_argument("--port", type=int, default=5005)
            sub.add_argument(
                "--speed", type=float, default=1.0, help="simulated car seconds per real second"
            )
            sub.add_argument("--protocol", type=int, default=PROTOCOL_VERSION)
            sub.add_argument(
                "--silent-after",
                type=int,
                default=None,
                help="stop answering queries after this many answers",
            )
            sub.add_argument("--once", action="store_true", help="do not reconnect")
            sub.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.command == "inventory":
        sys.stdout.write(yaml.safe_dump(inventory_document(_fleet(args)), sort_keys=False))
        return
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run_devices(args))


if __name__ == "__main__":
    main()
