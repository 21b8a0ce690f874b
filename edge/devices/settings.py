"""Typed settings of the device hub (``VITRINE_DEVICES_*``), validated when the app is built."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from drivers.tokens import Keyring
from edge.settings import load_validated


class DeviceSettings(BaseSettings):
    """``config_dir`` unset → no devices are started (the API still answers, with no devices).

    With ``config_dir = firmware-config``: readers from ``readers/*.toml``, site settings from
    ``rfid.toml``, scanners from ``scanners/*.toml``.
    """

    model_config = SettingsConfigDict(
        env_prefix="VITRINE_DEVICES_", env_file=None, extra="ignore", hide_input_in_errors=True
    )

    config_dir: Path | None = None
    state_db: Path | None = Field(default=None, description="alerts database (default: beside the replica)")
    tick_s: float = Field(default=0.5, gt=0, le=10)
    camera_fps: float = Field(default=10.0, gt=0, le=60)
    sim_label_skus: int = Field(default=40, ge=1, le=100_000)
    max_tags_listed: int = Field(default=500, ge=1, le=100_000)
    alert_repeat_s: float = Field(
        default=600.0, ge=0, le=86_400, description="one loss-prevention alert per tag within this window"
    )
    # Signed loyalty-card / pickup tokens (drivers/tokens.py); added by the web UI engineer (#7).
    token_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="key id → key (>= 16 bytes), the same in every store of the deployment: signs and "
        "checks loyalty-card and pickup QR codes (without it every scanned card is 'not recognised')",
        examples=[
            '{"k2026": "<32 random bytes, e.g. python -c \'import secrets;print(secrets.token_urlsafe(32))\'>"}'
        ],
    )
    token_active_key: str | None = Field(
        default=None, description="key id that signs (default: the only one)"
    )

    @model_validator(mode="after")
    def _valid_keyring(self) -> DeviceSettings:
        self.keyring()
        return self

    def keyring(self) -> Keyring | None:
        """The deployment keyring, or None when no token key is configured (tokens are then rejected)."""
        if not self.token_keys:
            return None
        active = self.token_active_key or (next(iter(self.token_keys)) if len(self.token_keys) == 1 else None)
        if active is None:
            raise ValueError("token_active_key must name one of token_keys when there are several")
        keys = {kid: key.get_secret_value().encode() for kid, key in self.token_keys.items()}
        for kid, key in keys.items():
            if len(set(key)) < 8 or b"changeme" in key.lower():
                raise ValueError(
                    f"token key {kid!r} is a placeholder; generate one (secrets.token_urlsafe())"
                )
        return Keyring(keys, active)


def load_device_settings(**overrides: object) -> DeviceSettings:
    """Settings from the environment plus ``overrides``; raises :class:`ConfigError` with every problem."""
    return load_validated(DeviceSettings, "device", overrides)
