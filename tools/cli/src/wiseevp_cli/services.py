"""Where the CLI finds the services: folders under ``services/``, run as processes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[4]
SERVICES_DIR = REPO / "services"


@dataclass(frozen=True)
class ServiceInfo:
    folder: str
    package: str

    @property
    def has_migrations(self) -> bool:
        return (SERVICES_DIR / self.folder / "src" / self.package / "migrations").is_dir()


def discover() -> list[ServiceInfo]:
    found = []
    for src in sorted(SERVICES_DIR.glob("*/src/*/__main__.py")):
        found.append(ServiceInfo(folder=src.parents[2].name, package=src.parent.name))
    return found
