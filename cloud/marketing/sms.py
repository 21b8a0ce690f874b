"""SMS senders, pluggable like the e-mail ones (:mod:`cloud.marketing.senders`): an HTTP SMS gateway
(``POST {to, from, text}`` as JSON with a bearer token, the shape most gateways accept or a small
relay adapts) and, for the demo, a log file with one JSON line per message. The recipient is an
E.164 phone number (the hub stores phones in that form)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from cloud.marketing.senders import Message, SendError

SMS_MAX_CHARS = 480  # three concatenated SMS parts: a notice longer than that is cut


def sms_text(message: Message) -> str:
    return message.body[:SMS_MAX_CHARS]


@dataclass
class SmsGatewaySender:
    url: str
    token: str = ""
    from_name: str = "Vitrine"
    timeout_s: float = 10.0
    name: str = "sms-http"

    def send(self, message: Message) -> str:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        payload = {"to": message.recipient, "from": self.from_name, "text": sms_text(message)}
        try:
            response = httpx.post(self.url, json=payload, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as err:
            raise SendError(f"SMS gateway {self.url}: {err}") from err
        if response.status_code >= 300:
            raise SendError(f"SMS gateway {self.url}: HTTP {response.status_code} {response.text[:200]}")
        return f"HTTP {response.status_code}"


@dataclass
class SmsLogSender:
    """Appends each SMS to ``path`` (JSON lines): the demo's "phone"."""

    path: Path
    from_name: str = "Vitrine"
    name: str = "sms-log"
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, message: Message) -> str:
        line = json.dumps({"to": message.recipient, "from": self.from_name, "text": sms_text(message)})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, self.path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
        except OSError as err:
            raise SendError(f"SMS log {self.path}: {err}") from err
        return f"logged to {self.path.name}"
