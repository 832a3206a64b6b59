"""``python -m oscp_co [migrate]`` / ``wiseevp-oscp-co``: run the Capacity Optimizer peer.

``migrate`` creates the database if needed, applies pending migrations and exits (it needs
only ``WISEEVP_POSTGRES_URL``).
"""

from __future__ import annotations

import asyncio
import sys

from wiseevp_common.runner import run_main
from wiseevp_common.settings import ServiceSettings, SettingsError, load_settings

from .service import build, migrate_database
from .settings import CoSettings

NAME = "oscp_co"


def main() -> None:
    if sys.argv[1:] == ["migrate"]:
        try:
            settings = load_settings(ServiceSettings, service_name=NAME)
        except SettingsError as exc:
            print(f"{NAME}: {exc}", file=sys.stderr)  # noqa: T201 - before logging is set up
            raise
        applied = asyncio.run(migrate_database(settings))
        for schema, versions in applied.items():
            print(f"{NAME}: {schema}: applied migrations {versions or 'none (up to date)'}")  # noqa: T201
        return
    if sys.argv[1:]:
        raise SystemExit(f"usage: python -m {NAME} [migrate]")
    run_main(CoSettings, build, NAME)


if __name__ == "__main__":
    main()
