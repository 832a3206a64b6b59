"""The OSCP engine between two parties over real local HTTP (an FP and a CP, see
:mod:`.parties`): the request pipeline's answers (4.1.2-4.1.3)."""

from __future__ import annotations

from wiseevp_common.messages.oscp20 import HandshakeAcknowledge
from wiseevp_oscp.endpoints import Endpoint, Header

from .engine_helpers import FORECAST, MEASUREMENTS, fp_token
from .parties import Party, call

# -- the request pipeline (4.1.2-4.1.3) -------------------------------------------------------


async def test_request_checks_in_order(fp: Party, cp: Party, connected: None) -> None:
    token = fp_token(cp)
    no_id = await call(fp, Endpoint.HEARTBEAT, b"", token=None, request_id=None)
    assert no_id.status == 400 and "X-Request-ID" in no_id.message
    assert Header.CORRELATION_ID.value not in no_id.headers
    blank_id = await call(fp, Endpoint.HEARTBEAT, b"", token=token, request_id=" ")
    assert blank_id.status == 400
    no_token = await call(fp, Endpoint.HEARTBEAT, b"", token=None)
    assert no_token.status == 401 and "Authorization header is missing" in no_token.message
    assert no_token.headers[Header.CORRELATION_ID.value] == "req-1"
    bearer = await call(
        fp,
        Endpoint.HEARTBEAT,
        b"",
        token=None,
        headers={Header.AUTHORIZATION.value: f"Bearer {token}"},
    )
    assert bearer.status == 401 and "'Token <token>'" in bearer.message
    wrong_role = await call(fp, Endpoint.HANDSHAKE_ACKNOWLEDGE, HandshakeAcknowledge(), token=token)
    assert wrong_role.status == 403
    assert wrong_role.message == (
        "a Capacity Provider may not send HandshakeAcknowledge to a Flexibility Provider"
    )
    no_body = await call(fp, Endpoint.HEARTBEAT, b"", token=token)
    assert no_body.status == 400 and "no JSON body" in no_body.message
    not_json = await call(fp, Endpoint.HEARTBEAT, b"{", token=token)
    assert not_json.status == 400 and "not valid JSON" in not_json.message
    extra = await call(
        fp,
        Endpoint.UPDATE_GROUP_CAPACITY_FORECAST,
        {**FORECAST.model_dump(mode="json"), "extra": 1},
        token=token,
    )
    assert extra.status == 400 and extra.message.startswith("invalid UpdateGroupCapacityForecast")
    assert fp.received == []


async def test_unserved_endpoints_are_404(fp: Party, cp: Party, connected: None) -> None:
    answer = await call(fp, Endpoint.UPDATE_GROUP_MEASUREMENTS, MEASUREMENTS, token=fp_token(cp))
    assert answer.status == 404
    get = await call(fp, Endpoint.HEARTBEAT, None, token=fp_token(cp), method="GET")
    assert get.status == 405
