"""Typed settings of one edge node, from ``VITRINE_EDGE_*`` environment variables (or a .env file).

Validated at start-up: a node refuses to run with empty, placeholder, short or shared role tokens.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from edge.errors import ConfigError

MIN_TOKEN_LENGTH = 16
PLACEHOLDER_TOKENS = frozenset({"changeme", "change-me", "secret", "password", "token", "kiosk", "staff"})
STORE_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"


class EdgeSettings(BaseSettings):
    """Configuration of one store's edge node."""

    # hide_input_in_errors: a refused token is never echoed into an error message or a log line.
    model_config = SettingsConfigDict(
        env_prefix="VITRINE_EDGE_", env_file=None, extra="ignore", hide_input_in_errors=True
    )

    store_id: str = Field(default="store-1", pattern=STORE_ID_PATTERN)
    db_path: Path = Path("var/edge/store-1.db")
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    kiosk_token: SecretStr = SecretStr("")
    staff_token: SecretStr = SecretStr("")
    manager_token: SecretStr = SecretStr("")
    default_zone: str = Field(default="floor", pattern=r"^[a-z0-9_-]{1,32}$")
    reservation_max_hours: int = Field(default=72, ge=1, le=24 * 14)
    # Acknowledged ops are kept this long, so a hub restored from a backup gets them again
    # (docs/operations.md "Restores"); 0 keeps them forever.
    outbox_retention_days: int = Field(default=35, ge=0, le=3650)
    # Sync link to the cloud (edge/sync_link.py). Empty mqtt_host: the node runs offline-only.
    mqtt_host: str = ""
    mqtt_port: int = Field(default=8883, ge=1, le=65535)
    mqtt_username: str = ""  # the store id, per firmware-config/mosquitto (python -m sync.credentials)
    mqtt_password: SecretStr = SecretStr("")
    mqtt_tls_ca: Path | None = None  # CA certificate: TLS to the broker (required in production)
    # Clock offset to the hub (edge/hub_clock.py): measured every clock_probe_s over the sync link;
    # /health, /metrics and the manager's sync panel warn beyond clock_skew_warn_s.
    clock_probe_s: float = Field(default=60.0, gt=0, le=86_400)
    clock_skew_warn_s: float = Field(default=2.0, gt=0, le=86_400)

    @field_validator("kiosk_token", "staff_token", "manager_token")
    @classmethod
    def _strong_token(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value()
        if not token:
            raise ValueError("must be set (VITRINE_EDGE_<ROLE>_TOKEN)")
        if token.lower() in PLACEHOLDER_TOKENS or len(set(token)) < 4:
            raise ValueError(
                "is a placeholder; generate one, e.g. `python -c 'import secrets;print(secrets.token_urlsafe())'`"
            )
        if len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(f"must be at least {MIN_TOKEN_LENGTH} characters")
        return value

    @model_validator(mode="after")
    def _distinct_tokens(self) -> EdgeSettings:
        tokens = {t.get_secret_value() for t in (self.kiosk_token, self.staff_token, self.manager_token)}
        if len(tokens) != 3:
            raise ValueError("kiosk, staff and manager tokens must all differ")
        password = self.mqtt_password.get_secret_value()
        if self.mqtt_username and not password:
            raise ValueError("mqtt_password must be set when mqtt_username is (VITRINE_EDGE_MQTT_PASSWORD)")
        if password and (password.lower() in PLACEHOLDER_TOKENS or len(set(password)) < 4):
            raise ValueError("mqtt_password is a placeholder; use the store's generated broker password")
        if self.mqtt_username and self.mqtt_username != self.store_id:
            raise ValueError(
                "mqtt_username must be the store id: the broker lets a store's user connect only with "
                "the client id equal to its store id (firmware-config/mosquitto)"
            )
        return self


S = TypeVar("S", bound=BaseSettings)


def load_validated(cls: type[S], label: str, overrides: dict[str, object]) -> S:
    """``cls`` from the environment plus ``overrides``; raises :class:`ConfigError` naming every
    problem (values are never echoed: the settings classes hide input in errors)."""
    try:
        return cls(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in err.errors()
        )
        raise ConfigError(f"invalid {label} settings: {problems}") from err


def load_settings(**overrides: object) -> EdgeSettings:
    """Settings from the environment plus ``overrides``; raises :class:`ConfigError` with every problem."""
    return load_validated(EdgeSettings, "edge", overrides)
