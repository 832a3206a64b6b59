"""Service settings: one pydantic-settings class per service, env prefix ``WISEEVP_``.

Every service subclasses :class:`ServiceSettings`, adds its own fields and loads it with
:func:`load_settings`, which fails fast with a message naming the environment variable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, TypeVar

from pydantic import AnyUrl, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "WISEEVP_"


class SettingsError(SystemExit):
    """Raised at start-up when a setting is missing or invalid; exits with status 2."""

    def __init__(self, message: str) -> None:
        super().__init__(2)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ServiceSettings(BaseSettings):
    """Settings every wiseevp service shares. Each service subclasses it."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    service_name: str = Field(
        default="wiseevp", description="Name used in logs, metrics and queues"
    )
    instance_id: str = Field(default="", description="Distinguishes replicas; defaults to host+pid")

    amqp_url: AnyUrl = AnyUrl("amqp://guest:guest@127.0.0.1:5672/")
    amqp_prefetch: int = Field(default=256, ge=1, le=65535)
    amqp_max_delivery_attempts: int = Field(default=5, ge=1, le=1000)

    postgres_url: AnyUrl = AnyUrl("postgresql://postgres@127.0.0.1:5432/wiseevp")

    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = Field(default=1884, ge=1, le=65535)
    mqtt_username: str = "guest"
    mqtt_password: str = "guest"  # noqa: S105 - RabbitMQ's local default account

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=0, ge=0, le=65535, description="0 picks a free port")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    clock: Literal["system", "simulated"] = "system"
    clock_start: datetime | None = Field(
        default=None, description="Simulated time at clock_epoch (simulated clock only)"
    )
    clock_speed: float = Field(default=720.0, gt=0, description="Simulated seconds per real second")
    clock_epoch: float | None = Field(
        default=None, description="Real UNIX time at which simulated time equals clock_start"
    )

    @field_validator("amqp_url")
    @classmethod
    def _amqp_scheme(cls, v: AnyUrl) -> AnyUrl:
        if v.scheme not in ("amqp", "amqps"):
            raise ValueError("must be an amqp:// or amqps:// URL")
        return v

    @field_validator("postgres_url")
    @classmethod
    def _postgres_scheme(cls, v: AnyUrl) -> AnyUrl:
        if v.scheme not in ("postgresql", "postgres"):
            raise ValueError("must be a postgresql:// URL")
        return v

    @field_validator("clock_start")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("must carry a UTC offset, e.g. 2026-01-01T00:00:00Z")
        return v


S = TypeVar("S", bound=ServiceSettings)

_SECRET_HINTS = ("password", "token", "secret", "url", "key")


def _shown(field: str, value: object) -> str:
    """The rejected value as shown in an error: never a secret or credentials in a URL."""
    if any(hint in field.lower() for hint in _SECRET_HINTS):
        text = str(value)
        if "url" in field.lower() and "://" in text:
            scheme, _, rest = text.partition("://")
            return repr(f"{scheme}://***@{rest.rpartition('@')[2]}" if "@" in rest else text)
        return "'***'"
    return repr(value)


def load_settings(cls: type[S], **overrides: object) -> S:
    """Build settings from the environment; raise :class:`SettingsError` with a clear message."""
    try:
        return cls(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [f"invalid configuration for {cls.__name__}:"]
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            env = ENV_PREFIX + field.upper()
            lines.append(f"  {env}: {err['msg']} (got {_shown(field, err.get('input'))})")
        raise SettingsError("\n".join(lines)) from None
