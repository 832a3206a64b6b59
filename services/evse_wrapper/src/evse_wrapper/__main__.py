"""``python -m evse_wrapper`` / ``wiseevp-evse-wrapper``: run the EVSE wrapper, or administer it.

- (no argument): serve OCPP 1.6-J and bridge it to the IOP;
- ``migrate``: create the database if needed, apply pending migrations, exit;
- ``station add <id> [--password-stdin]`` / ``station remove <id>`` / ``stations``;
- ``idtag add <idTag> [--status Accepted|Blocked|Expired|Invalid] [--parent <idTag>]``.
"""

from __future__ import annotations

import sys

from wiseevp_common.runner import run_main

from .admin import run_admin
from .service import build
from .settings import EvseWrapperSettings


def main() -> None:
    if sys.argv[1:]:
        raise SystemExit(run_admin(sys.argv[1:]))
    run_main(EvseWrapperSettings, build, "evse_wrapper")


if __name__ == "__main__":
    main()
