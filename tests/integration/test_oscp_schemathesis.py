"""Schemathesis against the FP gateway's served OpenAPI document (``/oscp/fp/2.0/openapi.json``):
every operation, with valid and invalid (negative) generated requests, as a registered and
handshaken Capacity Provider — and once more without a valid token — never gets a 5xx.

The FP runs as a process on the test database and vhost (like the conformance site); a raw
Capacity Provider played by the test registers and handshakes with it before each operation
(a fuzzed Register, Heartbeat or Handshake may end the connection), so every operation is
fuzzed while connected. Generation is deterministic (derandomized) and bounded.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import APIOperation

from tests.support.oscp_peers import OscpPeerProcess
from tests.support.oscp_raw import RawPeer, raw_peer
from tests.support.oscp_site import GROUPS, SnapshotServer, fp_process, groups_yaml
from wiseevp_common.clock import SimulatedClock
from wiseevp_oscp.endpoints import Header, Role, base_path

pytestmark = [pytest.mark.integration]

Operation = APIOperation[Any, Any, Any, Any]

EXAMPLES = 30
"""Generated requests per operation and generation mode."""
KNOWN_GROUP = next(iter(GROUPS))
UNREACHABLE = "http://127.0.0.1:1/oscp/cp/2.0"
REGISTER_LAST = ("put", "post", "delete")
"""Fuzzed Register calls change the registration: they run after every other operation."""


@dataclass
class Fuzzed:
    """What one run of an operation sent and what came back."""

    label: str
    mode: str
    statuses: dict[int, int] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)

    def count(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())


@asynccontextmanager
async def fp_gateway(directory: Path) -> AsyncIterator[OscpPeerProcess]:
    """The FP gateway as a process (as the conformance site starts it), on a clock at real
    speed, asking no heartbeats of its peers so that a fuzzing peer stays online."""
    groups_file = directory / "groups.yaml"
    groups_file.write_text(groups_yaml())
    snapshots = SnapshotServer()
    await snapshots.server.start()
    clock = SimulatedClock(datetime.now(UTC), 1.0, time.time())
    fp = fp_process(
        groups_file,
        snapshots.url,
        clock,
        WISEEVP_HEARTBEAT_INTERVAL_S="0",
        WISEEVP_COMPLIANCE_WAIT_S="600",
        WISEEVP_MEASUREMENT_INTERVAL_S="3600",
    )
    try:
        await fp.started()
        yield fp
    finally:
        await fp.stop()
        await snapshots.server.stop()


async def connect(fp: OscpPeerProcess, cp: RawPeer) -> str:
    """A fresh invitation, registration and handshake; the CP's token (TOKEN_C)."""
    token_a, _ = await fp.invite("cp", Role.CP)
    await cp.register(token_a)
    await cp.handshake()
    assert cp.token is not None
    return cp.token


def operations(schema: Any) -> list[Operation]:
    found = [result.ok() for result in schema.get_all_operations()]

    def order(operation: Operation) -> tuple[int, int]:
        method = operation.method.lower()
        if operation.path.endswith("/register"):
            return (1, REGISTER_LAST.index(method))
        return (0, 0)

    return sorted(found, key=order)


def steer(body: dict[str, Any]) -> None:
    """Make a generated body reach further than the first check it would fail: a group the FP
    has (rules, store, limits), a version it supports at an address that refuses at once (the
    registration reply fails fast and is undone, so the CP's token stays valid)."""
    if "group_id" in body:
        body["group_id"] = KNOWN_GROUP
    if isinstance(body.get("version_url"), list):
        body["version_url"] = [{"version": "2.0", "base_url": UNREACHABLE}]


def fuzz(operation: Operation, mode: GenerationMode, token: str, base_url: str) -> Fuzzed:
    """``EXAMPLES`` generated requests of ``mode`` with ``Authorization: Token <token>`` and a
    generated X-Request-ID (left to the generator in negative mode); every 5xx recorded with
    schemathesis's ``not_a_server_error`` check. Runs in a worker thread (blocking I/O)."""
    outcome = Fuzzed(operation.label, mode.value)
    session = requests.Session()
    counter = iter(range(10**9))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Case[Any]) -> None:
        headers = {Header.AUTHORIZATION.value: f"Token {token}"}
        if mode is GenerationMode.POSITIVE:
            headers[Header.REQUEST_ID.value] = str(uuid.uuid4())
            if isinstance(case.body, dict) and next(counter) % 2:
                steer(case.body)
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=15)
        outcome.count(response.status_code)
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except AssertionError as failure:  # schemathesis's FailureGroup
            outcome.server_errors.append(
                f"{case.as_curl_command(headers=headers)}\n-> {response.status_code} "
                f"{response.text[:500]}\n{failure}"
            )

    run()
    session.close()
    return outcome


NUL = "\u0000"
BLOCK = {"capacity": 16, "phase": "ALL", "unit": "A"}
EDGES: list[tuple[str, str, dict[str, Any]]] = [
    # (method, endpoint, body): found by hand or by earlier runs; each must be refused or
    # accepted, never a failure
    (
        "PUT",
        "register",
        {"token": f"a{NUL}b", "version_url": [{"version": "2.0", "base_url": UNREACHABLE}]},
    ),
    (
        "PUT",
        "register",
        {"token": "t", "version_url": [{"version": "2.0", "base_url": f"http://x{NUL}y"}]},
    ),
    (
        "POST",
        "update_group_capacity_forecast",
        {
            "group_id": KNOWN_GROUP + NUL,
            "type": "CONSUMPTION",
            "forecasted_blocks": [
                {**BLOCK, "start_time": "2030-01-01T00:00:00Z", "end_time": "2030-01-01T00:15:00Z"}
            ],
        },
    ),
    (
        "POST",
        "update_group_capacity_forecast",
        {
            "group_id": KNOWN_GROUP,
            "type": "CONSUMPTION",
            "forecasted_blocks": [
                {**BLOCK, "start_time": "0001-01-01T00:00:00Z", "end_time": "9999-12-31T23:59:59Z"}
            ],
        },
    ),
    (
        "POST",
        "update_group_capacity_forecast",
        {
            "group_id": KNOWN_GROUP,
            "type": "CONSUMPTION",
            "forecasted_blocks": [
                {
                    **BLOCK,
                    "capacity": 1e300,
                    "unit": "KWH",
                    "start_time": "2030-01-01T00:00:00Z",
                    "end_time": "2030-01-01T00:00:00.001Z",
                }
            ],
        },
    ),
    ("POST", "heartbeat", {"offline_mode_at": "9999-12-31T23:59:59.999Z"}),
    ("POST", "heartbeat", {"offline_mode_at": 253402300799}),
]


async def edges(fp: OscpPeerProcess, cp: RawPeer) -> list[str]:
    """The answers of :data:`EDGES` that are 5xx."""
    failures = []
    for method, endpoint, body in EDGES:
        token = await connect(fp, cp)
        response = await cp.send(endpoint, body, method=method, token=token)
        if response.status >= 500:
            failures.append(f"{method} {endpoint} {body!r}: {response.status} {response.body!r}")
    return failures


def report(runs: list[Fuzzed]) -> Iterator[str]:
    for run in runs:
        yield f"{run.label} [{run.mode}]: {run.sent} sent, statuses {sorted(run.statuses.items())}"


async def test_no_operation_answers_5xx(
    fresh_db: asyncpg.Connection, fresh_broker: None, tmp_path: Path
) -> None:
    async with fp_gateway(tmp_path) as fp, raw_peer(fp.url + base_path(Role.FP)) as cp:
        document = f"{fp.url}{base_path(Role.FP)}/openapi.json"
        schema = await asyncio.to_thread(schemathesis.openapi.from_url, document)
        found = operations(schema)
        assert [o.label.rsplit("/", 1)[1] for o in found] == [
            "handshake",
            "handshake_acknowledge",
            "heartbeat",
            "update_group_capacity_forecast",
            "register",
            "register",
            "register",
        ]
        assert await edges(fp, cp) == []
        runs: list[Fuzzed] = []
        for operation in found:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                token = await connect(fp, cp)
                runs.append(await asyncio.to_thread(fuzz, operation, mode, token, fp.url))
        # and without a valid token: the 401 paths
        for operation in found:
            runs.append(
                await asyncio.to_thread(
                    fuzz, operation, GenerationMode.POSITIVE, "not-a-token", fp.url
                )
            )
        summary = "\n".join(report(runs))
        errors = [error for run in runs for error in run.server_errors]
        assert not errors, f"{len(errors)} server error(s):\n" + "\n\n".join(errors[:10])
        assert all(run.sent >= EXAMPLES // 2 for run in runs), summary
        # the fuzzing got past authentication and validation, not only refusals
        accepted = {run.label for run in runs if run.statuses.get(204)}
        assert {
            f"POST {base_path(Role.FP)}/handshake",
            f"POST {base_path(Role.FP)}/update_group_capacity_forecast",
        } <= accepted, summary
        unauthenticated = runs[-len(found) :]
        assert all(set(run.statuses) == {401} for run in unauthenticated), summary
        assert "Traceback" not in fp.logs(), fp.logs()[-5000:]
