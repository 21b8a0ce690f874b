"""Pick the marketing sender the settings name."""

from __future__ import annotations

from cloud.marketing.senders import Sender, SmtpSender, WebhookSender
from cloud.settings import CloudSettings


def sender_for(settings: CloudSettings) -> Sender | None:
    if settings.marketing_sender == "smtp":
        return SmtpSender(settings.smtp_host, settings.smtp_port, settings.smtp_from)
    if settings.marketing_sender == "webhook" and settings.webhook_url:
        return WebhookSender(settings.webhook_url, settings.webhook_token.get_secret_value())
    return None
