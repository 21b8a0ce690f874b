"""Pick the senders the settings name: e-mail (``marketing_sender``) and SMS (``sms_sender``), one
router that sends each outbox message by its recipient (an E.164 phone by SMS, else e-mail)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from cloud.marketing.delivery import deliver
from cloud.marketing.senders import MailLogSender, Message, Sender, SendError, SmtpSender, WebhookSender
from cloud.marketing.sms import SmsGatewaySender, SmsLogSender
from cloud.settings import CloudSettings


def is_phone(recipient: str) -> bool:
    return recipient.startswith("+")


@dataclass
class ByRecipient:
    """Sends a message by SMS when its recipient is a phone, by e-mail otherwise; :meth:`handles`
    says whether a sender is configured for that recipient (the others stay queued)."""

    email: Sender | None
    sms: Sender | None
    name: str = "by-recipient"

    def handles(self, recipient: str) -> bool:
        return (self.sms if is_phone(recipient) else self.email) is not None

    def send(self, message: Message) -> str:
        sender = self.sms if is_phone(message.recipient) else self.email
        if sender is None:
            raise SendError(f"no sender configured for {message.recipient!r}")
        return f"{sender.name}: {sender.send(message)}"


def email_sender_for(settings: CloudSettings) -> Sender | None:
    if settings.marketing_sender == "smtp":
        return SmtpSender(settings.smtp_host, settings.smtp_port, settings.smtp_from)
    if settings.marketing_sender == "webhook" and settings.webhook_url:
        return WebhookSender(settings.webhook_url, settings.webhook_token.get_secret_value())
    if settings.marketing_sender == "log":
        return MailLogSender(settings.mail_log_path, settings.smtp_from)
    return None


def sms_sender_for(settings: CloudSettings) -> Sender | None:
    if settings.sms_sender == "http" and settings.sms_gateway_url:
        return SmsGatewaySender(
            settings.sms_gateway_url, settings.sms_gateway_token.get_secret_value(), settings.sms_from
        )
    if settings.sms_sender == "log":
        return SmsLogSender(settings.sms_log_path, settings.sms_from)
    return None


def sender_for(settings: CloudSettings) -> ByRecipient | None:
    """The configured senders, or None when neither e-mail nor SMS is configured."""
    email, sms = email_sender_for(settings), sms_sender_for(settings)
    if email is None and sms is None:
        return None
    return ByRecipient(email, sms)


def deliver_pending(engine: Engine, settings: CloudSettings) -> dict[str, int]:
    """Deliver what the configured senders can send; messages for a channel with no sender stay
    pending (not counted as failures)."""
    sender = sender_for(settings)
    if sender is None:
        return {"sent": 0, "failed": 0, "cancelled": 0}
    return deliver(engine, sender, only=sender.handles)
