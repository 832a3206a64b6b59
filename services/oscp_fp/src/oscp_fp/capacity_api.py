"""``GET /api/v1/capacities[/{group_id}]``: the limits in force per group, as last published on
``MQTT/GRID/<group>/capacity`` — for a scheduler or grid tool that starts between two
publications (MQTT subscribers get the retained message; AMQP consumers ask here)."""

from __future__ import annotations

import json

from aiohttp import web

from wiseevp_common.http import json_error

from .gateway import Gateway


def capacity_routes(gateway: Gateway) -> list[web.RouteDef]:
    async def all_groups(_: web.Request) -> web.Response:
        body = [
            json.loads(gateway.capacities[g].model_dump_json()) for g in sorted(gateway.capacities)
        ]
        return web.json_response({"capacities": body})

    async def one_group(request: web.Request) -> web.Response:
        group_id = request.match_info["group_id"]
        if group_id not in gateway.groups:
            return json_error(404, f"unknown group {group_id!r}")
        capacity = gateway.capacities.get(group_id)
        if capacity is None:
            return json_error(404, f"no capacity received yet for group {group_id!r}")
        return web.Response(
            body=capacity.model_dump_json().encode(), content_type="application/json"
        )

    return [
        web.get("/api/v1/capacities", all_groups),
        web.get("/api/v1/capacities/{group_id}", one_group),
    ]
