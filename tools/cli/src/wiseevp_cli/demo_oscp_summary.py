"""The OSCP part of the ``wiseevp demo`` summary: what the gateway published on the IOP and
sent the charge points (the tap), what the grid operator (CP) and the optimizer (CO) received
(their inboxes), the forecasts the gateway accepted (its ``forecast_log``) and its peers."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
import asyncpg
import yaml

from wiseevp_common.messages.grid import CapacityMode, GroupCapacity
from wiseevp_common.ocpp_topology import parse_command_key, parse_result_key

from .demo_oscp import GROUPS_FILE, OscpDemo

CAP_PURPOSE = "ChargePointMaxProfile"


@dataclass
class OscpReport:
    groups: dict[str, list[str]]
    """Group id → its charge points (regulation_areas.yaml)."""
    capacities: dict[str, list[GroupCapacity]] = field(default_factory=dict)
    caps_sent: Counter[str] = field(default_factory=Counter)
    caps_accepted: Counter[str] = field(default_factory=Counter)
    forecasts: dict[tuple[str, bool], int] = field(default_factory=dict)
    """(sender peer id, accepted) → forecasts the FP logged."""
    inbox: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """``cp.<endpoint>`` / ``co.<endpoint>`` → the messages that party accepted."""
    peers: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, datetime] = field(default_factory=dict)
    at: datetime | None = None
    """When it was collected (simulated time)."""
    cp_id: str = "cp"
    co_id: str = "co"

    @property
    def ok(self) -> bool:
        """A capacity was published for every group."""
        return all(self.capacities.get(g) for g in self.groups)


def load_groups() -> dict[str, list[str]]:
    data = yaml.safe_load(GROUPS_FILE.read_text())
    return {g["id"]: [e["id"] for e in g["evses"]] for g in data["groups"]}


async def collect(demo: OscpDemo, postgres_url: str) -> OscpReport:
    report = OscpReport(
        load_groups(),
        events=dict(demo.events),
        at=demo.clock.now(),
        cp_id=demo.cp.peer_id,
        co_id=demo.co.peer_id,
    )
    group_of = {evse: g for g, evses in report.groups.items() for evse in evses}
    caps: dict[str, str] = {}  # request id → group
    results: list[tuple[str, bytes]] = []
    for key, body in demo.tap.messages:
        if key.startswith("MQTT.GRID."):
            capacity = GroupCapacity.model_validate_json(body)
            report.capacities.setdefault(capacity.group_id, []).append(capacity)
        elif (address := parse_result_key(key)) is not None and address.request_id:
            results.append((address.request_id, body))
        elif (command := parse_command_key(key)) is not None and command.request_id:
            profile = json.loads(body).get("csChargingProfiles", {})
            group = group_of.get(command.evse_id)
            if group and profile.get("chargingProfilePurpose") == CAP_PURPOSE:
                caps[command.request_id] = group
                report.caps_sent[group] += 1
    for request_id, body in results:
        frame = json.loads(body)
        if request_id in caps and frame[0] == 3 and frame[2].get("status") == "Accepted":
            report.caps_accepted[caps[request_id]] += 1
    for by_group in report.capacities.values():
        by_group.sort(key=lambda c: c.at)
    async with aiohttp.ClientSession() as http:
        for party, endpoints in (
            (demo.cp, ("group_capacity_compliance_error", "adjust_group_capacity_forecast")),
            (demo.cp, ("update_group_measurements", "handshake_acknowledge")),
            (demo.co, ("update_group_capacity_forecast", "update_asset_measurements")),
        ):
            for endpoint in endpoints:
                report.inbox[f"{party.role}.{endpoint}"] = await party.inbox(http, endpoint)
        report.peers = await demo.fp.peers(http)
    conn = await asyncpg.connect(postgres_url)
    try:
        rows = await conn.fetch(
            "SELECT peer_id, accepted, count(*) AS n FROM oscp_fp.forecast_log "
            "GROUP BY peer_id, accepted"
        )
    finally:
        await conn.close()
    report.forecasts = {(r["peer_id"], r["accepted"]): r["n"] for r in rows}
    return report


def _hm(at: datetime | str | None) -> str:
    if at is None:
        return "--:--"
    return f"{datetime.fromisoformat(at) if isinstance(at, str) else at:%H:%M}"


def _amps(value: float | None) -> str:
    return "no limit" if value is None else f"{value:g} A"


def in_force(capacity: GroupCapacity) -> str:
    """``normal 96 A (optimum 76.8 A); next 64 A at 17:40``."""
    current = capacity.current
    text = f"{capacity.mode.value} {_amps(current.consumption if current else None)}"
    if current is not None and current.optimum is not None:
        text += f" (optimum {current.optimum:g} A)"
    for block in capacity.blocks:
        if current is not None and block.start >= current.end and block.consumption is not None:
            if block.consumption != current.consumption:
                text += f"; {block.consumption:g} A from {_hm(block.start)}"
            break
    return text


def transitions(report: OscpReport) -> tuple[datetime | None, datetime | None]:
    """When the first fallback capacity was published, and the normal ones again after it."""
    published = sorted((c for cs in report.capacities.values() for c in cs), key=lambda c: c.at)
    fallback = next((c.at for c in published if c.mode is CapacityMode.FALLBACK), None)
    recovered = None
    if fallback is not None:
        recovered = next(
            (c.at for c in published if c.at > fallback and c.mode is CapacityMode.NORMAL), None
        )
    return fallback, recovered


def print_oscp_summary(report: OscpReport) -> None:
    inbox = report.inbox
    print("--- OSCP 2.0: grid operator (oscp_cp) → gateway (oscp_fp) → charge points ---")
    forecasts = report.forecasts
    refused = sum(n for (_, accepted), n in forecasts.items() if not accepted)
    print(
        f"OSCP forecasts accepted by the FP       : {forecasts.get((report.cp_id, True), 0)} "
        f"from the CP, {forecasts.get((report.co_id, True), 0)} Optimums from the CO "
        f"({refused} refused)"
    )
    published = [g for g in report.groups if report.capacities.get(g)]
    print(f"OSCP capacity published for groups      : {', '.join(published) or 'none'}")
    print(f"  {'group':16} MQTT/GRID  caps sent / accepted  in force at {_hm(report.at)} sim")
    for group in report.groups:
        seen = report.capacities.get(group, [])
        now = in_force(seen[-1]) if seen else "nothing published"
        caps = f"{report.caps_sent[group]:>4} / {report.caps_accepted[group]:<4}"
        print(f"  {group:16} {len(seen):9}  {caps:>20}  {now}")
    fallback, recovered = transitions(report)
    print(f"OSCP CP offline → fallback / recovery   : {_hm(fallback)} / {_hm(recovered)} sim")
    if "paused" in report.events:
        print(f"  {_outage(report, fallback, recovered)}")
    errors = inbox["cp.group_capacity_compliance_error"]
    print(f"OSCP compliance errors received by CP   : {len(errors)}")
    times: defaultdict[str, list[str]] = defaultdict(list)
    for message in errors:
        times[message["body"]["message"]].append(_hm(message["received_at"]))
    for text, at in times.items():
        print(f"  {len(at)}x [{', '.join(at)} sim] {text}")
    adjusts = inbox["cp.adjust_group_capacity_forecast"]
    print(f"OSCP adjust requests received by CP     : {len(adjusts)} (this CP grants none)")
    for message in adjusts:
        body = message["body"]
        block = body["forecasted_blocks"][0]
        print(
            f"  [{_hm(message['received_at'])} sim] {body['group_id']}: {block['capacity']} "
            f"{block['unit']} asked for {_hm(block['start_time'])}-{_hm(block['end_time'])}"
        )
    print(
        f"OSCP measurements received by CP / CO   : {len(inbox['cp.update_group_measurements'])}"
        f" group / {len(inbox['co.update_asset_measurements'])} asset measurement updates"
    )
    print(
        f"OSCP forecasts forwarded to the CO      : "
        f"{len(inbox['co.update_group_capacity_forecast'])} (it answers consumption ones "
        "with its Optimum)"
    )
    print(
        "OSCP peers as the FP sees them          : "
        + "; ".join(
            f"{p['peer_id']} ({p['role']}) {p['registration']}, handshake {p['handshake']}, "
            f"{'online' if p['online'] else 'offline'}"
            for p in report.peers.values()
        )
    )


def _outage(report: OscpReport, fallback: datetime | None, recovered: datetime | None) -> str:
    """The outage's story, in simulated time."""
    levels = []
    for group in report.groups:
        seen = report.capacities.get(group, [])
        first = next((c for c in seen if c.mode is CapacityMode.FALLBACK), None)
        if first is not None:
            levels.append(f"{group} {_amps(first.current.consumption if first.current else None)}")
    handshakes = [_hm(m["received_at"]) for m in report.inbox["cp.handshake_acknowledge"]]
    return (
        f"{_hm(report.events.get('paused'))} CP heartbeats paused → {_hm(fallback)} FP: CP "
        f"offline, fallback capacities ({', '.join(levels)}) → "
        f"{_hm(report.events.get('resumed'))} heartbeats resumed → handshakes CP → FP at "
        f"{', '.join(handshakes)} → {_hm(recovered)} normal capacities again"
    )
