"""``python -m oscp_fp [migrate]`` / ``wiseevp-oscp-fp``: run the OSCP gateway.

``migrate`` creates the database if needed, applies pending migrations and exits.
"""

from __future__ import annotations

import asyncio
import sys

from wiseevp_common.runner import run_main
from wiseevp_common.settings import load_settings

from .service import build, migrate_database
from .settings import OscpFpSettings


def main() -> None:
    if sys.argv[1:] == ["migrate"]:
        settings = load_settings(OscpFpSettings, service_name="oscp_fp")
        applied = asyncio.run(migrate_database(settings))
        print(f"oscp_fp: applied migrations {applied or 'none (up to date)'}")  # noqa: T201
        return
    if sys.argv[1:]:
        raise SystemExit("usage: python -m oscp_fp [migrate]")
    run_main(OscpFpSettings, build, "oscp_fp")


if __name__ == "__main__":
    main()
