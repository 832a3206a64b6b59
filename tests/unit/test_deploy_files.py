"""Static checks of docker-compose.yml, the Dockerfile and the broker configuration.

There is no Docker engine where the tests run, so the files are checked by reading them: one
compose service per folder of ``services/``, each built from the Dockerfile, with a health
check and a restart policy, and only ``WISEEVP_*`` variables that are settings of that service
(with values the settings accept). ``docker compose config -q`` runs too where it works.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml

from wiseevp_common.settings import ENV_PREFIX, ServiceSettings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
INFRASTRUCTURE = {"rabbitmq", "postgres"}
RESTART_POLICIES = {"always", "unless-stopped", "on-failure"}


def load_compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def service_packages() -> dict[str, str]:
    """``services/<folder>`` → the package run with ``python -m <package>``."""
    found = {}
    for main in sorted(ROOT.glob("services/*/src/*/__main__.py")):
        found[main.parents[2].name] = main.parent.name
    return found


def compose_name(folder: str) -> str:
    return folder.replace("_", "-")


def runs_module(service: dict[str, Any], package: str) -> bool:
    command = service.get("command", [])
    if isinstance(command, str):
        command = command.split()
    return list(command[:3]) == ["python", "-m", package]


def missing_services(compose: dict[str, Any]) -> list[str]:
    """Folders of ``services/`` without a compose service (named after the folder, ``_`` or
    ``-``) that runs ``python -m <package>``."""
    services = compose.get("services", {})
    missing = []
    for folder, package in service_packages().items():
        service = services.get(compose_name(folder)) or services.get(folder)
        if service is None or not runs_module(service, package):
            missing.append(folder)
    return missing


def settings_class(package: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"{package}.settings")
    classes = [
        cls
        for cls in vars(module).values()
        if inspect.isclass(cls)
        and issubclass(cls, ServiceSettings)
        and cls.__module__ == module.__name__
    ]
    assert len(classes) == 1, f"{package}.settings should define one settings class"
    return classes[0]


_INTERPOLATION = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def interpolate(value: str) -> str:
    """Compose's ``${NAME:-default}`` with nothing set: the default (``$$`` is a ``$``)."""
    return _INTERPOLATION.sub(lambda m: m.group(2) or "", value).replace("$$", "$")


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): interpolate(str(v)) for k, v in env.items()}


def wiseevp_services(compose: dict[str, Any]) -> dict[str, tuple[dict[str, Any], str]]:
    """Compose service name → (service, package) for every folder of ``services/``."""
    services = compose["services"]
    found = {}
    for folder, package in service_packages().items():
        name = compose_name(folder) if compose_name(folder) in services else folder
        if name in services:
            found[name] = (services[name], package)
    return found


# -- compose ----------------------------------------------------------------------------------


def test_there_are_services_to_check() -> None:
    assert {"ev_wrapper", "rt_monitor"} <= set(service_packages())


def test_every_service_folder_has_a_compose_service() -> None:
    assert missing_services(load_compose()) == []


def test_a_missing_service_is_detected() -> None:
    compose = load_compose()
    folder = next(iter(service_packages()))
    compose["services"].pop(compose_name(folder), None)
    compose["services"].pop(folder, None)
    assert missing_services(compose) == [folder]


def test_infrastructure_services() -> None:
    services = load_compose()["services"]
    assert re.fullmatch(r"rabbitmq:3\.\d+-management", services["rabbitmq"]["image"])
    assert re.fullmatch(r"postgres:15(\..*)?(-.*)?", services["postgres"]["image"])
    rabbit_check = " ".join(services["rabbitmq"]["healthcheck"]["test"])
    assert "rabbitmq-diagnostics" in rabbit_check
    assert "ping" in rabbit_check
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    mounts = " ".join(services["rabbitmq"]["volumes"])
    assert "./deploy/rabbitmq/rabbitmq.conf:/etc/rabbitmq/" in mounts
    assert "./deploy/rabbitmq/enabled_plugins:/etc/rabbitmq/enabled_plugins" in mounts
    assert any(p.split(":")[-1].split()[0] == "1883" for p in services["rabbitmq"]["ports"])


@pytest.mark.parametrize("name", sorted(load_compose()["services"]))
def test_every_service_has_a_healthcheck_and_restart_policy(name: str) -> None:
    service = load_compose()["services"][name]
    healthcheck = service.get("healthcheck")
    assert healthcheck, f"{name} has no healthcheck"
    assert not healthcheck.get("disable", False)
    assert healthcheck.get("test"), f"{name}'s healthcheck has no test"
    assert service.get("restart") in RESTART_POLICIES, f"{name} has no restart policy"


def test_every_wiseevp_service_is_built_from_the_dockerfile() -> None:
    compose = load_compose()
    services = wiseevp_services(compose)
    assert len(services) == len(service_packages())
    images = set()
    for name, (service, _) in services.items():
        build = service.get("build")
        assert isinstance(build, dict), f"{name} is not built"
        assert (ROOT / build.get("context", ".")).resolve() == ROOT, name
        assert build.get("dockerfile", "Dockerfile") == "Dockerfile", name
        images.add(service.get("image"))
    assert len(images) == 1, "every service should run the one image"


def test_wiseevp_services_check_healthz_on_their_http_port() -> None:
    for name, (service, _) in wiseevp_services(load_compose()).items():
        env = environment(service)
        assert env.get("WISEEVP_HTTP_HOST") == "0.0.0.0", name
        assert int(env["WISEEVP_HTTP_PORT"]) > 0, name
        test = " ".join(service["healthcheck"]["test"])
        assert "/healthz" in test, name
        assert "WISEEVP_HTTP_PORT" in test or env["WISEEVP_HTTP_PORT"] in test, name


def test_wiseevp_services_wait_for_healthy_dependencies() -> None:
    compose = load_compose()
    for name, (service, package) in wiseevp_services(compose).items():
        depends = service.get("depends_on")
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
        assert "rabbitmq" in depends, name
        for dependency, spec in depends.items():
            assert dependency in compose["services"], (name, dependency)
            assert spec.get("condition") in (
                "service_healthy",
                "service_completed_successfully",
            ), (name, dependency)
        env = environment(service)
        if "WISEEVP_POSTGRES_URL" in env and _stores_data(package):
            assert "postgres" in depends, name


def _stores_data(package: str) -> bool:
    return any(ROOT.glob(f"services/*/src/{package}/migrations/*.sql"))


def test_the_history_api_port_is_published() -> None:
    compose = load_compose()
    rt_monitor = compose["services"][compose_name("rt_monitor")]
    port = environment(rt_monitor)["WISEEVP_HTTP_PORT"]
    published = [str(p).split("#")[0].strip() for p in rt_monitor.get("ports", [])]
    assert any(p.endswith(f":{port}") for p in published), published


def test_wiseevp_environment_variables_are_settings() -> None:
    """Every ``WISEEVP_*`` variable given to a service is a field of its settings class."""
    for name, (service, package) in wiseevp_services(load_compose()).items():
        cls = settings_class(package)
        fields = {ENV_PREFIX + f.upper() for f in cls.model_fields}
        given = {k for k in environment(service) if k.startswith(ENV_PREFIX)}
        assert given, f"{name} has no WISEEVP_* environment"
        assert given <= fields, f"{name}: not settings of {cls.__name__}: {given - fields}"


def test_wiseevp_environment_values_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings class loads from the compose environment (compose defaults applied)."""
    compose = load_compose()
    hostnames = set(compose["services"])
    for name, (service, package) in wiseevp_services(compose).items():
        for key in [k for k in os.environ if k.startswith(ENV_PREFIX)]:
            monkeypatch.delenv(key)
        env = environment(service)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        try:
            settings = load_settings(settings_class(package), service_name=name)
        except SettingsError as exc:  # pragma: no cover - the message is the point
            pytest.fail(f"{name}: {exc.message}")
        assert settings.amqp_url.host in hostnames, name
        assert settings.postgres_url.host in hostnames, name
        assert settings.mqtt_host in hostnames, name
        assert settings.mqtt_port == 1883, name


def test_broker_credentials_match() -> None:
    compose = load_compose()
    rabbit = environment(compose["services"]["rabbitmq"])
    postgres = environment(compose["services"]["postgres"])
    for name, (service, _) in wiseevp_services(compose).items():
        env = environment(service)
        user, password = rabbit["RABBITMQ_DEFAULT_USER"], rabbit["RABBITMQ_DEFAULT_PASS"]
        assert env["WISEEVP_AMQP_URL"].startswith(f"amqp://{user}:{password}@rabbitmq:"), name
        assert env["WISEEVP_MQTT_USERNAME"] == user, name
        assert env["WISEEVP_MQTT_PASSWORD"] == password, name
        pg_user, pg_password = postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"]
        assert env["WISEEVP_POSTGRES_URL"] == (
            f"postgresql://{pg_user}:{pg_password}@postgres:5432/{postgres['POSTGRES_DB']}"
        ), name


def test_compose_file_follows_the_compose_specification() -> None:
    """Validated against the vendored Compose specification schema (no Docker engine here)."""
    schema = json.loads((ROOT / "tests" / "data" / "compose-spec.json").read_text())
    validator = jsonschema.Draft201909Validator(schema)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(load_compose())]
    assert not errors, "\n".join(errors[:10])


# -- Dockerfile -------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            instruction, _, arguments = stripped.partition(" ")
            found.append((instruction.upper(), arguments.strip()))
    return found


def test_dockerfile_is_multi_stage() -> None:
    stages = [args for instr, args in dockerfile_instructions() if instr == "FROM"]
    assert len(stages) >= 2
    assert all(re.search(r"\bAS\s+\w+", s, re.IGNORECASE) for s in stages)


def test_dockerfile_installs_the_locked_workspace() -> None:
    runs = " ".join(args for instr, args in dockerfile_instructions() if instr == "RUN")
    assert "uv sync --locked" in runs
    assert "--no-dev" in runs
    assert "--all-packages" in runs


def test_dockerfile_runs_as_non_root() -> None:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (instr, _) in enumerate(instructions) if instr == "FROM")
    users = [args for instr, args in instructions[last_from:] if instr == "USER"]
    assert users, "the runtime stage has no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    runtime_copies = [args for instr, args in instructions[last_from:] if instr == "COPY"]
    assert all("--from=" in c for c in runtime_copies), "the runtime stage copies build output only"


def test_dockerignore_keeps_the_context_small() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv"} <= ignored
    for needed in ("uv.lock", "pyproject.toml", "libs", "services", "tools"):
        assert needed not in ignored


# -- broker configuration ---------------------------------------------------------------------


def test_rabbitmq_plugins_and_mqtt_listener() -> None:
    plugins = (ROOT / "deploy/rabbitmq/enabled_plugins").read_text(encoding="utf-8").strip()
    assert re.fullmatch(r"\[[a-z_,\s]+\]\.", plugins), "an Erlang list ending with a dot"
    names = {p.strip() for p in plugins[1:-2].split(",")}
    assert {"rabbitmq_management", "rabbitmq_mqtt"} <= names
    conf = {}
    for line in (ROOT / "deploy/rabbitmq/rabbitmq.conf").read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            conf[key.strip()] = value.strip()
    assert conf["mqtt.listeners.tcp.default"] == "1883"
    assert conf["mqtt.exchange"] == "amq.topic"
    assert conf["mqtt.allow_anonymous"] == "false"
