"""Pluggable message senders. A sender raises :class:`SendError` on failure, nothing else."""

from __future__ import annotations

import json
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import httpx

from cloud.errors import CloudError


class SendError(CloudError):
    """A message could not be delivered (will be retried up to the attempt limit)."""


@dataclass(frozen=True, slots=True)
class Message:
    outbox_id: int
    customer_id: str
    trigger: str
    period: str
    recipient: str
    subject: str
    body: str


class Sender(Protocol):
    name: str

    def send(self, message: Message) -> str:
        """Deliver ``message``; returns a short delivery detail (e.g. server reply)."""
        ...


@dataclass
class SmtpSender:
    host: str
    port: int
    from_addr: str
    timeout_s: float = 10.0
    name: str = "smtp"

    def send(self, message: Message) -> str:
        mail = EmailMessage()
        mail["From"] = self.from_addr
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail["X-Vitrine-Trigger"] = f"{message.trigger}/{message.period}"
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                refused = smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as err:
            raise SendError(f"SMTP {self.host}:{self.port}: {err}") from err
        if refused:
            raise SendError(f"SMTP refused {sorted(refused)}")
        return "250 accepted"


@dataclass
class WebhookSender:
    url: str
    token: str = ""
    timeout_s: float = 10.0
    name: str = "webhook"

    def send(self, message: Message) -> str:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        payload = {
            "outbox_id": message.outbox_id,
            "customer_id": message.customer_id,
            "trigger": message.trigger,
            "period": message.period,
            "recipient": message.recipient,
            "subject": message.subject,
            "body": message.body,
        }
        try:
            response = httpx.post(self.url, json=payload, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as err:
            raise SendError(f"webhook {self.url}: {err}") from err
        if response.status_code >= 300:
            raise SendError(f"webhook {self.url}: HTTP {response.status_code}")
        return f"HTTP {response.status_code}"


@dataclass
class MailLogSender:
    """Appends each e-mail to ``path`` (JSON lines): the demo's mailbox."""

    path: Path
    from_addr: str = "vitrine@localhost"
    name: str = "mail-log"

    def send(self, message: Message) -> str:
        line = {
            "from": self.from_addr,
            "to": message.recipient,
            "subject": message.subject,
            "body": message.body,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(line) + "\n")
        except OSError as err:
            raise SendError(f"mail log {self.path}: {err}") from err
        return f"logged to {self.path.name}"
