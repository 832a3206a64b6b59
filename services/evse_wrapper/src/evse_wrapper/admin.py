"""Operator commands: migrations, station registration (passwords hashed), the idTag list."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime

from wiseevp_common.settings import load_settings
from wiseevp_common.storage.component import PostgresPool

from .passwords import hash_password
from .registry import Registry
from .service import migrate_database
from .settings import EvseWrapperSettings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evse_wrapper")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="create the database and apply migrations")
    station = sub.add_parser("station", help="register or remove a charge point")
    station_sub = station.add_subparsers(dest="action", required=True)
    add = station_sub.add_parser("add", help="register a charge point (security profiles 1/2)")
    add.add_argument("id")
    add.add_argument("--password-stdin", action="store_true", help="read its password on stdin")
    remove = station_sub.add_parser("remove")
    remove.add_argument("id")
    sub.add_parser("stations", help="list charge points and their communication status")
    idtag = sub.add_parser("idtag", help="the operator's idTag list (Authorize)")
    idtag_sub = idtag.add_subparsers(dest="action", required=True)
    tag_add = idtag_sub.add_parser("add")
    tag_add.add_argument("id_tag")
    tag_add.add_argument(
        "--status", default="Accepted", choices=["Accepted", "Blocked", "Expired", "Invalid"]
    )
    tag_add.add_argument("--parent", default=None)
    return parser


def run_admin(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    settings = load_settings(EvseWrapperSettings, service_name="evse_wrapper")
    return asyncio.run(_run(args, settings))


async def _run(args: argparse.Namespace, settings: EvseWrapperSettings) -> int:
    applied = await migrate_database(settings)
    if args.command == "migrate":
        print(f"evse_wrapper: applied migrations {applied or 'none (up to date)'}")  # noqa: T201
        return 0
    db = PostgresPool(str(settings.postgres_url), max_size=1)
    await db.start()
    try:
        registry = Registry(db)
        if args.command == "stations":
            for row in await registry.stations():
                print(json.dumps(row, default=str))  # noqa: T201
        elif args.command == "station" and args.action == "add":
            password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
            hashed = hash_password(password) if password else None
            await registry.add_station(args.id, hashed, datetime.now(UTC), auto=False)
        elif args.command == "station" and args.action == "remove":
            if not await registry.remove_station(args.id):
                print(f"no charge point {args.id!r}", file=sys.stderr)  # noqa: T201
                return 1
        elif args.command == "idtag":
            await registry.put_id_tag(args.id_tag, args.status, args.parent)
    finally:
        await db.stop()
    return 0
