"""``python -m oscp_cp [migrate]`` / ``wiseevp-oscp-cp``: run the Capacity Provider peer.

``migrate`` creates the database if needed, applies pending migrations and exits (it needs
only ``WISEEVP_POSTGRES_URL``).
"""

from __future__ import annotations

from wiseevp_common.runner import service_cli

from .service import build, migrate_database
from .settings import CpSettings


def main() -> None:
    service_cli("oscp_cp", CpSettings, build, migrate_database)


if __name__ == "__main__":
    main()
