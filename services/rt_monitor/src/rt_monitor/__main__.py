"""``python -m rt_monitor [migrate]`` / ``wiseevp-rt-monitor``: run the RT monitor.

``migrate`` creates the database if needed, applies pending migrations and exits.
"""

from __future__ import annotations

import asyncio
import sys

from wiseevp_common.runner import run_main
from wiseevp_common.settings import load_settings

from .service import build, migrate_database
from .settings import RtMonitorSettings


def main() -> None:
    if sys.argv[1:] == ["migrate"]:
        settings = load_settings(RtMonitorSettings, service_name="rt_monitor")
        applied = asyncio.run(migrate_database(settings))
        print(f"rt_monitor: applied migrations {applied or 'none (up to date)'}")  # noqa: T201
        return
    if sys.argv[1:]:
        raise SystemExit("usage: python -m rt_monitor [migrate]")
    run_main(RtMonitorSettings, build, "rt_monitor")


if __name__ == "__main__":
    main()
