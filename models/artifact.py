"""Signed, content-addressed model artifacts: ``model.onnx`` + ``manifest.json`` + ``manifest.sig``.

The manifest carries the sha256 of the ONNX bytes and the item vocabulary; the cloud signs the
canonical JSON of the manifest with ed25519. :func:`verify_artifact` is what the edge runs before
loading anything: signature, then hash, then shape of the manifest.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from models.errors import ArtifactError
from models.signing import sign, verify

FORMAT = "vitrine-reco/1"
MODEL_FILE = "model.onnx"
MANIFEST_FILE = "manifest.json"
SIGNATURE_FILE = "manifest.sig"


@dataclass(frozen=True)
class Manifest:
    model_id: str
    sha256: str
    created: str
    kind: str
    data_span: tuple[str, str]
    items: tuple[str, ...]
    popular: tuple[str, ...] = ()
    metrics: Mapping[str, float] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    format: str = FORMAT

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "sha256": self.sha256,
            "created": self.created,
            "kind": self.kind,
            "data_span": list(self.data_span),
            "items": list(self.items),
            "popular": list(self.popular),
            "metrics": dict(self.metrics),
            "params": dict(self.params),
            "format": self.format,
        }

    def canonical(self) -> bytes:
        """The signed bytes: sorted keys, no whitespace, ASCII."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        try:
            manifest = cls(
                model_id=str(data["model_id"]),
                sha256=str(data["sha256"]),
                created=str(data["created"]),
                kind=str(data["kind"]),
                data_span=(str(data["data_span"][0]), str(data["data_span"][1])),
                items=tuple(str(s) for s in data["items"]),
                popular=tuple(str(s) for s in data.get("popular", ())),
                metrics={str(k): float(v) for k, v in dict(data.get("metrics", {})).items()},
                params=dict(data.get("params", {})),
                format=str(data.get("format", "")),
            )
        except (KeyError, IndexError, TypeError, ValueError) as err:
            raise ArtifactError(f"malformed manifest: {err!r}") from err
        if manifest.format != FORMAT:
            raise ArtifactError(f"unsupported artifact format {manifest.format!r}")
        if not manifest.items or len(set(manifest.items)) != len(manifest.items):
            raise ArtifactError("manifest item vocabulary is empty or has duplicates")
        return manifest


@dataclass(frozen=True)
class Artifact:
    onnx: bytes
    manifest: Manifest
    signature: str

    def write(self, directory: Path) -> Path:
        """Write the three files into ``directory`` (created); returns it."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / MODEL_FILE).write_bytes(self.onnx)
        (directory / MANIFEST_FILE).write_text(json.dumps(self.manifest.to_dict(), indent=1, sort_keys=True))
        (directory / SIGNATURE_FILE).write_text(self.signature)
        return directory

    @classmethod
    def read(cls, directory: Path) -> Artifact:
        try:
            onnx_bytes = (directory / MODEL_FILE).read_bytes()
            manifest = json.loads((directory / MANIFEST_FILE).read_text())
            signature = (directory / SIGNATURE_FILE).read_text().strip()
        except (OSError, ValueError) as err:
            raise ArtifactError(f"cannot read artifact in {directory}: {err}") from err
        return cls(onnx_bytes, Manifest.from_dict(manifest), signature)

    def release_body(self, inline: bool = True, url: str | None = None) -> dict[str, Any]:
        """The body of a ``model.release`` op (sync/vocabulary.py)."""
        body: dict[str, Any] = {
            "model_id": self.manifest.model_id,
            "sha256": self.manifest.sha256,
            "manifest": self.manifest.to_dict(),
            "signature": self.signature,
        }
        if inline:
            body["inline_b64"] = base64.b64encode(self.onnx).decode()
        elif url:
            body["url"] = url
        else:
            raise ArtifactError("a release needs the model inline or a url")
        return body

    @classmethod
    def from_release_body(
        cls, body: Mapping[str, Any], fetch: Callable[[str], bytes] | None = None
    ) -> Artifact:
        """Rebuild an (unverified) artifact from a ``model.release`` body; ``fetch`` resolves a url."""
        try:
            if "inline_b64" in body:
                onnx_bytes = base64.b64decode(str(body["inline_b64"]), validate=True)
            elif "url" in body and fetch is not None:
                onnx_bytes = fetch(str(body["url"]))
            else:
                raise ArtifactError("model.release carries neither inline_b64 nor a fetchable url")
            return cls(onnx_bytes, Manifest.from_dict(body["manifest"]), str(body["signature"]))
        except (KeyError, TypeError, binascii.Error) as err:
            raise ArtifactError(f"malformed model.release body: {err!r}") from err


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_artifact(
    onnx_bytes: bytes,
    *,
    key: Ed25519PrivateKey,
    kind: str,
    items: tuple[str, ...],
    data_span: tuple[str, str],
    popular: tuple[str, ...] = (),
    metrics: Mapping[str, float] | None = None,
    params: Mapping[str, Any] | None = None,
    created: datetime | None = None,
) -> Artifact:
    """Hash, describe and sign an exported model. The id is content-addressed: kind + hash prefix."""
    digest = sha256_hex(onnx_bytes)
    manifest = Manifest(
        model_id=f"{kind}-{digest[:16]}",
        sha256=digest,
        created=(created or datetime.now(UTC)).isoformat(timespec="seconds"),
        kind=kind,
        data_span=data_span,
        items=items,
        popular=popular,
        metrics={str(k): float(v) for k, v in (metrics or {}).items()},
        params=dict(params or {}),
    )
    # the signed bytes must survive a JSON round trip unchanged
    manifest = Manifest.from_dict(json.loads(manifest.canonical()))
    return Artifact(onnx_bytes, manifest, sign(key, manifest.canonical()))


def verify_artifact(artifact: Artifact, key: Ed25519PublicKey) -> Manifest:
    """Raise :class:`~models.errors.SignatureError` or :class:`ArtifactError` unless the manifest is
    signed by ``key``, the ONNX bytes hash to the manifest's sha256 and the id names that hash."""
    verify(key, artifact.manifest.canonical(), artifact.signature)
    digest = sha256_hex(artifact.onnx)
    if digest != artifact.manifest.sha256:
        raise ArtifactError(
            f"model bytes hash {digest[:12]}… but the manifest says {artifact.manifest.sha256[:12]}…"
        )
    if not artifact.manifest.model_id.endswith(digest[:16]):
        raise ArtifactError("model id does not name the model's content")
    return artifact.manifest
