"""Typed settings of the web UIs, from ``VITRINE_WEB_*`` environment variables.

``staff_pins`` maps a staff member's name to ``{"role": "staff"|"manager", "pin_hash": ...}``
(hashes from ``python -m edge.web.pins <PIN>``), e.g.
``VITRINE_WEB_STAFF_PINS='{"alice": {"role": "staff", "pin_hash": "pbkdf2_sha256$..."}}'``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from edge.settings import load_validated
from edge.web.pins import PinFormatError, check_pin_hash

Role = Literal["staff", "manager"]


class StaffPin(BaseModel):
    role: Role = "staff"
    pin_hash: str = Field(repr=False)  # a 4-digit PIN falls to a brute force of its hash: keep it out of logs

    @field_validator("pin_hash")
    @classmethod
    def _well_formed(cls, value: str) -> str:
        try:
            check_pin_hash(value)
        except PinFormatError as err:
            raise ValueError(str(err)) from err
        return value


class WebSettings(BaseSettings):
    """Configuration of the kiosk, handheld and manager pages."""

    model_config = SettingsConfigDict(
        env_prefix="VITRINE_WEB_", env_file=None, extra="ignore", hide_input_in_errors=True
    )

    staff_pins: dict[str, StaffPin] = Field(
        default_factory=dict,
        description="staff who sign in on the handheld and manager pages; hashes from "
        "`python -m edge.web.pins <PIN>` (without any, nobody can sign in)",
        examples=[
            '{"alice": {"role": "staff", "pin_hash": "pbkdf2_sha256$..."}, '
            '"maud": {"role": "manager", "pin_hash": "pbkdf2_sha256$..."}}'
        ],
    )
    kiosk_language: Literal["fr", "en"] = "fr"
    kiosk_idle_seconds: int = Field(default=90, ge=5, le=3600)
    kiosk_warning_seconds: int = Field(default=10, ge=1, le=120)
    pin_max_failures: int = Field(default=5, ge=1, le=100)
    pin_lockout_seconds: int = Field(default=60, ge=1, le=3600)
    low_stock_threshold: int = Field(default=3, ge=0, le=10_000)
    manager_refresh_seconds: float = Field(default=2.0, ge=0.2, le=300)


def load_web_settings(**overrides: object) -> WebSettings:
    """Settings from the environment plus ``overrides``; raises :class:`ConfigError` with every problem."""
    return load_validated(WebSettings, "web", overrides)
