"""``wiseevp migrate``: apply every service's migrations (each service owns its schema)."""

from __future__ import annotations

import subprocess
import sys

from .services import discover


def run(args: list[str]) -> int:
    if args:
        print("usage: wiseevp migrate", file=sys.stderr)
        return 2
    for service in discover():
        if not service.has_migrations:
            continue
        result = subprocess.run([sys.executable, "-m", service.package, "migrate"], check=False)
        if result.returncode != 0:
            print(f"migrations of {service.folder} failed", file=sys.stderr)
            return result.returncode
    return 0
