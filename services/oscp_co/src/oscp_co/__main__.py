"""``python -m oscp_co [migrate]`` / ``wiseevp-oscp-co``: run the Capacity Optimizer peer.

``migrate`` creates the database if needed, applies pending migrations and exits (it needs
only ``WISEEVP_POSTGRES_URL``).
"""

from __future__ import annotations

from wiseevp_common.runner import service_cli

from .service import build, migrate_database
from .settings import CoSettings


def main() -> None:
    service_cli("oscp_co", CoSettings, build, migrate_database)


if __name__ == "__main__":
    main()
