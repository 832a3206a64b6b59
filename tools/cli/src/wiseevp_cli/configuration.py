"""``docs/configuration.md``: every ``WISEEVP_*`` setting, generated from the settings classes.

The common settings come from :class:`wiseevp_common.settings.ServiceSettings`; each service's
from the :class:`ServiceSettings` subclasses in ``services/<name>/src/<package>/settings.py``
(found by walking ``services/``, so a new service is documented without changes here).

A setting's meaning is its ``Field(description=...)`` or, failing that, the docstring written
under it. :data:`NOTES` fills in settings whose code says nothing (or too little); once a
settings class carries the text, its note here should go.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import AnyUrl, SecretBytes, SecretStr
from pydantic.fields import FieldInfo

from wiseevp_common.settings import ENV_PREFIX, ServiceSettings

NOTES: dict[str, str] = {
    # common
    "WISEEVP_SERVICE_NAME": (
        "Name in the AMQP `app_id`, the `x-wiseevp-service` dead-letter header and bus logger "
        "names. Each service passes its own name (`ev_wrapper`, `rt_monitor`) at start-up, "
        "which takes precedence over this variable."
    ),
    "WISEEVP_INSTANCE_ID": ("Distinguishes replicas in the logs; empty: `<hostname>-<pid>`."),
    "WISEEVP_AMQP_URL": (
        "RabbitMQ AMQP 0-9-1 URL (`amqp://` or `amqps://`) with user, password and vhost "
        "(the path: `/` for the default vhost, `/wiseevp_test` for the tests')."
    ),
    "WISEEVP_AMQP_PREFETCH": "Unacknowledged messages a consumer channel holds at most.",
    "WISEEVP_AMQP_MAX_DELIVERY_ATTEMPTS": (
        "Deliveries of a message whose handler keeps failing before it is dead-lettered; "
        "also the `x-delivery-limit` of the quorum queues a service declares."
    ),
    "WISEEVP_POSTGRES_URL": (
        "PostgreSQL URL of services that store data (the RT monitor), which create the "
        "database if it is missing and apply their migrations at start-up."
    ),
    "WISEEVP_MQTT_HOST": "Host of RabbitMQ's MQTT listener (services that speak MQTT).",
    "WISEEVP_MQTT_PORT": (
        "Port of RabbitMQ's MQTT listener: 1884 on development machines, where Mosquitto "
        "holds 1883; 1883 in docker-compose."
    ),
    "WISEEVP_MQTT_USERNAME": (
        "MQTT user name; `vhost:user` selects a vhost other than `/` (e.g. `wiseevp_test:guest`)."
    ),
    "WISEEVP_MQTT_PASSWORD": "MQTT password.",
    "WISEEVP_HTTP_HOST": (
        "Interface of the service's HTTP server (`/healthz`, `/metrics`, its API); "
        "`0.0.0.0` in containers."
    ),
    "WISEEVP_HTTP_PORT": (
        "Port of the service's HTTP server; 0 picks a free port (logged as `http_port` in "
        "the `service started` line)."
    ),
    "WISEEVP_LOG_LEVEL": "Level of the JSON log lines the service writes to stderr.",
    "WISEEVP_CLOCK": (
        "`system`: wall-clock time; `simulated`: accelerated time set by "
        "`WISEEVP_CLOCK_START`, `WISEEVP_CLOCK_SPEED` and `WISEEVP_CLOCK_EPOCH`."
    ),
    "WISEEVP_CLOCK_START": (
        "Simulated time at `WISEEVP_CLOCK_EPOCH`, with a UTC offset (simulated clock only); "
        "unset: today 00:00 UTC."
    ),
    "WISEEVP_CLOCK_EPOCH": (
        "Real UNIX time at which simulated time equals `WISEEVP_CLOCK_START`; unset: when "
        "the process starts. Processes given the same start, speed and epoch agree on the "
        "simulated time."
    ),
    # ev_wrapper
    "WISEEVP_FLEET_SIZE": "Number of EVs of the simulated fleet (source `simulated`).",
    "WISEEVP_FLEET_SEED": (
        "Random seed of the simulated fleet: the same seed gives the same fleet (source "
        "`simulated`)."
    ),
    "WISEEVP_FLEET_CENTRE_LON": (
        "Longitude of the simulated fleet's centre, default Terni (source `simulated`)."
    ),
    "WISEEVP_FLEET_CENTRE_LAT": (
        "Latitude of the simulated fleet's centre, default Terni (source `simulated`)."
    ),
    "WISEEVP_STATUS_INTERVAL_S": (
        "Seconds of the service clock between two statuses of each simulated EV (source "
        "`simulated`)."
    ),
    "WISEEVP_MQTT_MAX_INFLIGHT": (
        "QoS 1 messages an EV's MQTT connection has in flight (unacknowledged) at most."
    ),
    "WISEEVP_OBD_LISTEN_HOST": "Interface the OBD devices connect to (source `obd`).",
    "WISEEVP_OBD_LISTEN_PORT": "TCP port the OBD devices connect to (source `obd`).",
    "WISEEVP_SOURCE_POSTGRES_URL": "The operator's database (source `postgres`).",
    "WISEEVP_SOURCE_POSTGRES_TABLE": (
        "The operator's car table, `table` or `schema.table` (source `postgres`)."
    ),
    "WISEEVP_SOURCE_POSTGRES_CHANNEL": (
        "The LISTEN/NOTIFY channel on which car changes are notified (source `postgres`)."
    ),
}


@dataclass(frozen=True)
class Section:
    """A settings class and the service it configures (``None``: every service)."""

    service: str | None
    cls: type[ServiceSettings]


def discover_sections(root: Path) -> list[Section]:
    """The common settings, then each service's settings class, by service folder name."""
    sections = [Section(None, ServiceSettings)]
    for path in sorted(root.glob("services/*/src/*/settings.py")):
        module = importlib.import_module(f"{path.parent.name}.settings")
        for cls in vars(module).values():
            if (
                inspect.isclass(cls)
                and issubclass(cls, ServiceSettings)
                and cls is not ServiceSettings
                and cls.__module__ == module.__name__
            ):
                sections.append(Section(path.parents[2].name, cls))
    return sections


def render_configuration(sections: Sequence[Section]) -> str:
    lines = [
        "<!-- Generated by `wiseevp docs` from the settings classes: do not edit. -->",
        "",
        "# Configuration",
        "",
        "Every service is configured by environment variables `WISEEVP_*` (pydantic-settings, "
        "prefix `WISEEVP_`, case-insensitive); unknown variables are ignored. A missing or "
        "invalid value stops the service at start-up with exit status 2 and a message naming "
        "the variable. The defaults suit a development machine (`deploy/rabbitmq/setup-local.sh`); "
        "`docker-compose.yml` sets the container values. `WISEEVP_TEST_*` and "
        "`WISEEVP_BENCH_*` variables configure the test suite and the benchmark, not the "
        "services ([operations](operations.md#vhosts-and-databases)).",
        "",
        "Each service reads the [common settings](#common-settings) and its own.",
        "",
    ]
    for section in sections:
        lines += _section(section)
    return "\n".join(lines).rstrip() + "\n"


def _section(section: Section) -> list[str]:
    base = ServiceSettings.model_fields
    fields = section.cls.model_fields
    if section.service is None:
        title = "Common settings"
        intro = f"Read by every service (`{_qualname(section.cls)}`)."
        names = list(fields)
    else:
        title = f"`{section.service}`"
        intro = f"`{_qualname(section.cls)}`, besides the common settings."
        names = [n for n in fields if n not in base or _default(fields[n]) != _default(base[n])]
    lines = [f"## {title}", "", intro, ""]
    if not names:
        return [*lines, "No settings of its own.", ""]
    lines += ["| Variable | Type | Default | Meaning |", "| --- | --- | --- | --- |"]
    docstrings = _attribute_docstrings(section.cls)
    schema = section.cls.model_json_schema().get("properties", {})
    for name in names:
        env = ENV_PREFIX + name.upper()
        field = fields[name]
        meaning = _sentence(NOTES.get(env) or field.description or docstrings.get(name, ""))
        if section.service is not None and name in base:
            meaning = f"{meaning} (overrides the common default)".strip()
        lines.append(
            "| "
            + " | ".join(
                _cell(text)
                for text in (f"`{env}`", _type(schema.get(name, {})), _default(field), meaning)
            )
            + " |"
        )
    return [*lines, ""]


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text + "." if text and text[-1] not in ".!?)" else text


def _qualname(cls: type[Any]) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _default(field: FieldInfo) -> str:
    value = field.get_default(call_default_factory=True)
    if isinstance(value, SecretStr | SecretBytes):
        return "empty" if not value.get_secret_value() else "(secret)"
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str) and not value:
        return "empty"
    if isinstance(value, AnyUrl | str | int | float | datetime):
        return f"`{value}`"
    return f"`{value!r}`"


def _type(schema: dict[str, Any]) -> str:
    """A short human description of a property's JSON schema."""
    variants = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    return " or ".join(_type_one(v) for v in variants) or "any"


_FORMATS = {
    "uri": "URL",
    "date-time": "date-time (ISO 8601, with UTC offset)",
    "password": "secret string",
    "file-path": "path of an existing file",
    "directory-path": "path of an existing directory",
    "path": "path",
}
_BOUNDS = (
    ("minimum", "≥"),
    ("exclusiveMinimum", ">"),
    ("maximum", "≤"),
    ("exclusiveMaximum", "<"),
)


def _type_one(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = _FORMATS.get(schema.get("format", ""), schema.get("type", "any"))
    bounds = [f"{op} {schema[key]}" for key, op in _BOUNDS if key in schema]
    if bounds:
        kind += ", " + " and ".join(bounds)
    if "pattern" in schema:
        kind += f", matching `{schema['pattern']}`"
    return str(kind)


def _attribute_docstrings(cls: type[Any]) -> dict[str, str]:
    """``name: T = ...`` followed by a string literal: the attribute's docstring, per field,
    along the class's bases (nearest class wins)."""
    found: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if klass is object or not issubclass(klass, ServiceSettings):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError, SyntaxError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for stmt, following in itertools.pairwise(body):
            if (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                found[stmt.target.id] = inspect.cleandoc(following.value.value)
    return found
