"""``python -m rt_monitor [migrate]`` / ``wiseevp-rt-monitor``: run the RT monitor.

``migrate`` creates the database if needed, applies pending migrations and exits (it needs
only ``WISEEVP_POSTGRES_URL``).
"""

from __future__ import annotations

from wiseevp_common.runner import service_cli

from .service import build, migrate_database
from .settings import RtMonitorSettings


def main() -> None:
    service_cli("rt_monitor", RtMonitorSettings, build, migrate_database)


if __name__ == "__main__":
    main()
