"""Command-line pieces both benchmarks share."""

from __future__ import annotations

import argparse


def parse_env(
    parser: argparse.ArgumentParser, items: list[str], fixed: tuple[str, ...]
) -> dict[str, str]:
    """``--env WISEEVP_NAME=VALUE`` items → the extra environment of the service under test;
    the settings the bench fixes itself (``fixed`` prefixes) are refused."""
    env: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.startswith("WISEEVP_"):
            parser.error(f"--env wants WISEEVP_NAME=VALUE, got {item!r}")
        if key.startswith(fixed):
            parser.error(f"--env {key} is fixed by the bench (isolation of vhost, database, ports)")
        env[key] = value
    return env
