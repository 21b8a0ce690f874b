"""Signed manifests: anything tampered with, or signed by someone else, is rejected."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.artifact import Artifact, Manifest, verify_artifact
from models.errors import ArtifactError, SignatureError
from models.signing import generate_private_key, load_public_key, public_key_b64
from tests.models.conftest import make_artifact

SKUS = ("A1", "A2", "A3", "A4")


def test_round_trip_through_disk_and_release_body(signing_key: Ed25519PrivateKey, tmp_path: Path) -> None:
    artifact = make_artifact(signing_key, SKUS)
    key = load_public_key(public_key_b64(signing_key))
    assert verify_artifact(artifact, key).items == SKUS
    again = Artifact.read(artifact.write(tmp_path / "a"))
    assert verify_artifact(again, key) == artifact.manifest
    body = json.loads(json.dumps(artifact.release_body()))
    assert verify_artifact(Artifact.from_release_body(body), key).model_id == artifact.manifest.model_id
    assert artifact.manifest.model_id.startswith("test-")
    assert artifact.manifest.sha256 in body["sha256"]


def test_tampering_is_rejected(signing_key: Ed25519PrivateKey) -> None:
    artifact = make_artifact(signing_key, SKUS)
    key = signing_key.public_key()
    flipped = bytearray(artifact.onnx)
    flipped[len(flipped) // 2] ^= 0xFF
    with pytest.raises(ArtifactError, match="hash"):
        verify_artifact(dataclasses.replace(artifact, onnx=bytes(flipped)), key)
    better_metrics = dataclasses.replace(artifact.manifest, metrics={"ndcg10": 0.99})
    with pytest.raises(SignatureError):
        verify_artifact(dataclasses.replace(artifact, manifest=better_metrics), key)
    other_items = dataclasses.replace(artifact.manifest, items=("A1", "A2", "A4", "A3"))
    with pytest.raises(SignatureError):
        verify_artifact(dataclasses.replace(artifact, manifest=other_items), key)
    sig = bytearray(artifact.signature.encode())
    sig[5] = ord("A") if sig[5] != ord("A") else ord("B")
    with pytest.raises(SignatureError):
        verify_artifact(dataclasses.replace(artifact, signature=sig.decode()), key)
    with pytest.raises(SignatureError):
        verify_artifact(dataclasses.replace(artifact, signature="not base64!"), key)


def test_signed_by_another_key_is_rejected(signing_key: Ed25519PrivateKey) -> None:
    forged = make_artifact(generate_private_key(), SKUS)
    with pytest.raises(SignatureError):
        verify_artifact(forged, signing_key.public_key())


def test_tampered_files_on_disk(signing_key: Ed25519PrivateKey, tmp_path: Path) -> None:
    folder = make_artifact(signing_key, SKUS).write(tmp_path / "a")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["created"] = "2000-01-01T00:00:00+00:00"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(SignatureError):
        verify_artifact(Artifact.read(folder), signing_key.public_key())
    (folder / "manifest.json").write_text("{not json")
    with pytest.raises(ArtifactError):
        Artifact.read(folder)


def test_malformed_manifests() -> None:
    with pytest.raises(ArtifactError):
        Manifest.from_dict({"model_id": "x"})
    good = {
        "model_id": "m",
        "sha256": "0",
        "created": "c",
        "kind": "k",
        "data_span": ["a", "b"],
        "items": ["x", "x"],
        "format": "vitrine-reco/1",
    }
    with pytest.raises(ArtifactError, match="duplicates"):
        Manifest.from_dict(good)
    with pytest.raises(ArtifactError, match="format"):
        Manifest.from_dict({**good, "items": ["x"], "format": "other/9"})
    with pytest.raises(ArtifactError):
        Artifact.from_release_body({"model_id": "m", "manifest": {**good, "items": ["x"]}, "signature": "s"})
