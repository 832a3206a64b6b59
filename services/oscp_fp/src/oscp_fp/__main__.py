"""``python -m oscp_fp [migrate]`` / ``wiseevp-oscp-fp``: run the OSCP gateway.

``migrate`` creates the database if needed, applies pending migrations and exits (it needs
only ``WISEEVP_POSTGRES_URL``).
"""

from __future__ import annotations

from wiseevp_common.runner import service_cli

from .service import build, migrate_database
from .settings import OscpFpSettings


def main() -> None:
    service_cli("oscp_fp", OscpFpSettings, build, migrate_database)


if __name__ == "__main__":
    main()
