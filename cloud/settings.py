"""Typed settings of the hub, from the environment (prefix ``VITRINE_CLOUD_``), validated at start-up."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cloud.errors import ConfigError

MIN_TOKEN_LENGTH = 16
DEFAULT_SUMMARY_INTERVAL_S = 2.0  # live availability: seconds between two summaries of one store
PLACEHOLDER_SECRETS = frozenset(
    {"changeme", "change-me", "secret", "password", "token", "admin", "shop", "admin-secret", "shop-secret"}
)


class CloudSettings(BaseSettings):
    """Everything the hub needs; nothing is read at import time, callers build one explicitly."""

    # hide_input_in_errors: a refused secret is never echoed into an error message or a log line.
    model_config = SettingsConfigDict(env_prefix="VITRINE_CLOUD_", extra="ignore", hide_input_in_errors=True)

    database_url: str = Field(
        default="sqlite:///var/cloud.db",
        repr=False,  # a PostgreSQL URL carries its password
        description="SQLAlchemy URL: sqlite:///path (default, WAL) or postgresql+psycopg://user:pw@host/db",
    )
    admin_token: SecretStr = Field(default=SecretStr(""), description="bearer token of the admin API")
    shop_token: SecretStr = Field(default=SecretStr(""), description="bearer token of the e-commerce API")
    node_id: str = Field(default="cloud", description="HLC node id of this hub process (no '.')")
    broker_host: str = "127.0.0.1"
    broker_port: int = 1883
    broker_tls: bool = False
    broker_username: str | None = None
    broker_password: SecretStr = SecretStr("")
    broker_tls_ca: str | None = Field(
        default=None, description="CA file: connect with TLS and verify the broker"
    )
    worker_id: str = Field(
        default="1", pattern=r"^[A-Za-z0-9_-]{1,32}$", description="distinct per worker process"
    )
    pool_size: int = Field(default=5, ge=1, le=100)
    allowance_default_points: int = Field(default=500, ge=0)
    allowance_ttl_hours: int = Field(default=72, ge=1)
    authorise_timeout_s: float = Field(default=2.0, gt=0)
    summary_interval_s: float = Field(
        default=DEFAULT_SUMMARY_INTERVAL_S,
        gt=0,
        le=3600,
        description="live availability: at most one stock.summary per source store per this many seconds",
    )
    warehouse_store: str = Field(default="warehouse", description="stock location of home deliveries/returns")
    bootstrap_customers: str = Field(
        default="active", pattern="^(active|all)$", description="customers a bootstrapping store gets"
    )
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8090, ge=1, le=65535)
    marketing_sender: str = Field(
        default="none",
        pattern="^(none|smtp|webhook|log)$",
        description="e-mail for marketing and service notices: none, smtp, webhook, log (a file, the demo's)",
    )
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "vitrine@localhost"
    webhook_url: str = ""
    webhook_token: SecretStr = SecretStr("")
    model_signing_key: Path = Field(
        default=Path("var/cloud/model-signing.pem"),
        description="ed25519 key that signs model releases; created (0600) by the first provisioning "
        "or training, so every store's bundle names its public half before any release",
    )
    mail_log_path: Path = Field(default=Path("mail.jsonl"), description="where the log e-mail sender appends")
    sms_sender: str = Field(
        default="none",
        pattern="^(none|log|http)$",
        description="SMS for service notices to customers known by phone only: none, log (a file, the "
        "demo's), http (an SMS gateway)",
    )
    sms_gateway_url: str = Field(default="", description="the SMS gateway's URL (POST {to, from, text} JSON)")
    sms_gateway_token: SecretStr = Field(default=SecretStr(""), description="bearer token for the gateway")
    sms_from: str = Field(default="Vitrine", max_length=11, description="the sender name phones show")
    sms_log_path: Path = Field(default=Path("sms.jsonl"), description="where the log sender appends SMS")
    console_session_minutes: int = Field(
        default=480,
        ge=5,
        le=7 * 24 * 60,
        description="console: a sign-in lasts this long, then sign in again",
    )
    console_lockout_failures: int = Field(
        default=5, ge=1, le=100, description="console: failed sign-ins in a row that lock the account"
    )
    console_lockout_minutes: int = Field(
        default=15, ge=1, le=7 * 24 * 60, description="console: how long a locked account stays locked"
    )

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not (value.startswith("sqlite") or value.startswith("postgresql")):
            raise ValueError("database_url must be a sqlite:// or postgresql+psycopg:// URL")
        return value

    @model_validator(mode="after")
    def _broker_credentials(self) -> CloudSettings:
        password = self.broker_password.get_secret_value()
        if self.broker_username and not password:
            raise ValueError(
                "broker_password must be set when broker_username is (VITRINE_CLOUD_BROKER_PASSWORD)"
            )
        if password and secret_problem(password, min_length=1):
            raise ValueError("broker_password is a placeholder")
        return self

    @field_validator("node_id")
    @classmethod
    def _node_id(cls, value: str) -> str:
        if not value or "." in value:
            raise ValueError("node_id must be non-empty and contain no '.'")
        return value


def secret_problem(value: str, min_length: int = MIN_TOKEN_LENGTH) -> str | None:
    """Why ``value`` cannot serve as a secret (empty, placeholder, too short), or None when it can."""
    if not value:
        return "is empty"
    if value.lower() in PLACEHOLDER_SECRETS or len(set(value)) < 4:
        return (
            "is a placeholder; generate one, e.g. `python -c 'import secrets;print(secrets.token_urlsafe())'`"
        )
    if len(value) < min_length:
        return f"is shorter than {min_length} characters"
    return None


def require_api_tokens(settings: CloudSettings) -> None:
    """Refuse to serve the HTTP API with an empty, placeholder, short or shared admin/shop token."""
    problems = [
        f"VITRINE_CLOUD_{name.upper()} {problem}"
        for name in ("admin_token", "shop_token")
        if (problem := secret_problem(getattr(settings, name).get_secret_value())) is not None
    ]
    if not problems and settings.admin_token.get_secret_value() == settings.shop_token.get_secret_value():
        problems.append("VITRINE_CLOUD_ADMIN_TOKEN and VITRINE_CLOUD_SHOP_TOKEN must differ")
    if problems:
        raise ConfigError("refusing to serve the hub API: " + "; ".join(problems))
