"""Authorize: the idTag's status from the operator's list (unknown: Invalid), relayed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from tests.conformance.ocpp16.conftest import WrapperFactory
from tests.support.evse import EvseWrapperProcess, station_key
from tests.support.ocpp16_schemas import is_rfc3339
from tests.support.ocpp_checks import relay_queue, run_admin, schema_errors
from tests.support.ocpp_station import connected

pytestmark = pytest.mark.integration


async def test_unknown_idtag_is_invalid_and_the_request_is_relayed(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    async with (
        relay_queue(station_key("CP-AU", "authorize")) as relayed,
        connected(evse_wrapper.ws_url("CP-AU"), "CP-AU") as station,
    ):
        answer = await station.send("Authorize", {"idTag": "NOBODY"}, unique_id="au-1")
        assert answer == [3, "au-1", {"idTagInfo": {"status": "Invalid"}}]
        assert schema_errors("AuthorizeResponse", answer[2]) == []
        assert await relayed.now() == [{"idTag": "NOBODY"}]


async def test_idtags_of_the_operators_list_get_their_status(
    evse_wrapper: EvseWrapperProcess, fresh_db: asyncpg.Connection
) -> None:
    expiry = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    await asyncio.gather(
        run_admin(evse_wrapper, "idtag", "add", "FLEET"),
        run_admin(evse_wrapper, "idtag", "add", "04A1B2C3", "--parent", "FLEET"),
        run_admin(evse_wrapper, "idtag", "add", "STOLEN", "--status", "Blocked"),
    )
    await fresh_db.execute(
        "INSERT INTO evse_wrapper.id_tag (id_tag, status, expiry_date) VALUES ($1, $2, $3)",
        "UNTIL-JUNE",
        "Accepted",
        expiry,
    )
    await fresh_db.execute(
        "INSERT INTO evse_wrapper.id_tag (id_tag, status, expiry_date) VALUES ($1, $2, $3)",
        "LAST-YEAR",
        "Accepted",
        datetime.now(UTC) - timedelta(days=1),
    )
    tags = ["FLEET", "04A1B2C3", "STOLEN", "UNTIL-JUNE", "LAST-YEAR"]
    async with (
        relay_queue(station_key("CP-AU2", "authorize")) as relayed,
        connected(evse_wrapper.ws_url("CP-AU2"), "CP-AU2") as station,
    ):
        infos = []
        for tag in tags:
            answer = await station.ok("Authorize", {"idTag": tag})
            assert schema_errors("AuthorizeResponse", answer) == []
            infos.append(answer["idTagInfo"])
        assert await relayed.now() == [{"idTag": t} for t in tags]

    assert infos[0] == {"status": "Accepted"}
    assert infos[1] == {"status": "Accepted", "parentIdTag": "FLEET"}
    assert infos[2] == {"status": "Blocked"}
    assert infos[3]["status"] == "Accepted"
    assert is_rfc3339(infos[3]["expiryDate"])
    assert datetime.fromisoformat(infos[3]["expiryDate"]) == expiry
    assert infos[4]["status"] == "Expired"


async def test_unknown_idtags_are_accepted_when_so_configured(
    wrapper_factory: WrapperFactory,
) -> None:
    wrapper = wrapper_factory(WISEEVP_ACCEPT_UNKNOWN_ID_TAGS="true")
    await wrapper.started()
    async with connected(wrapper.ws_url("CP-AU3"), "CP-AU3") as station:
        answer = await station.ok("Authorize", {"idTag": "ANYONE"})
        assert answer == {"idTagInfo": {"status": "Accepted"}}
