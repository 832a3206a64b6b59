"""``python -m ev_wrapper`` / ``wiseevp-ev-wrapper``: run the EV wrapper."""

from __future__ import annotations

from wiseevp_common.runner import run_main

from .service import build
from .settings import EvWrapperSettings


def main() -> None:
    run_main(EvWrapperSettings, build, "ev_wrapper")


if __name__ == "__main__":
    main()
