"""``wiseevp <command>``: the operator/developer CLI.

Commands run their own module's ``run(args) -> int``; services are started as processes,
never imported.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "setup": ("wiseevp_cli.setup", "check/prepare broker (MQTT plugin), database and schema"),
    "migrate": ("wiseevp_cli.migrate", "apply every service's database migrations"),
    "demo": ("wiseevp_cli.demo", "run the stack with a simulated pilot site and summarise"),
    "docs": ("wiseevp_cli.docs", "generate docs/ from the code (--check: fail if stale)"),
}


def usage() -> str:
    lines = ["usage: wiseevp <command> [options]", "", "commands:"]
    lines += [f"  {name:<8} {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in COMMANDS:
        print(usage(), file=sys.stderr)
        raise SystemExit(2)
    module = importlib.import_module(COMMANDS[args[0]][0])
    raise SystemExit(module.run(args[1:]))


if __name__ == "__main__":
    main()
