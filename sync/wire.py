"""The wire format: op batches, acks, presence and RPC payloads (docs/sync-protocol.md).

A batch frame is ``b"VB" + format byte + zstd(columnar JSON)``. The columnar document:

``{"o": origin, "s": first_seq, "ds": [seq steps] (absent when contiguous),
   "w": first_wall_ms, "dw": [wall deltas], "c": [hlc counters], "n": node | [nodes],
   "t": [type codes], "v": version | [versions], "k": [[body keys per shape]], "b": [[shape, values...]]}``

Seq and HLC wall time are delta-encoded, op types are small integers (:data:`TYPE_CODES`, append
only), bodies are transposed into a shape (its key list, sent once) plus a row of values. zstd is
primed with a fixed raw-content dictionary of the vocabulary, so even one-op batches are small.

Decoding validates everything and raises :class:`~sync.errors.MalformedOp`; a frame never
decompresses beyond :data:`MAX_DECODED_BYTES`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import zstandard

from sync.errors import MalformedOp
from sync.hlc import Timestamp
from sync.ops import Op

MAGIC = b"VB"
FORMAT_V1 = 1
MAX_DECODED_BYTES = 32 * 1024 * 1024
MAX_BATCH_OPS = 100_000

# Append-only: a code, once published, keeps its meaning for every fleet version.
TYPE_CODES: tuple[str, ...] = (
    "stock.count",
    "stock.delta",
    "sale.recorded",
    "return.recorded",
    "loyalty.entry",
    "customer.upsert",
    "wishlist.set",
    "order.transition",
    "reservation.set",
    "order.placed",
    "catalog.checkpoint",
    "price.checkpoint",
    "loyalty.rules",
    "loyalty.balance",
    "loyalty.allowance",
    "stock.summary",
    "model.release",
    "receipt.email",
)
_CODE_OF = {name: i for i, name in enumerate(TYPE_CODES)}

_DICTIONARY_TEXT = (
    b'{"o":"store-","s":1,"w":1,"dw":[0,0,1],"c":[0,1,2],"n":"store-","t":[1,1,2],"v":1,"k":[["sku",'
    b'"store","zone","qty","reason","ref"],["receipt_id","store","channel","customer_id","payment_ref",'
    b'"at","lines","total_cents","points_earned","points_redeemed"],["entry_id","customer_id","kind",'
    b'"points","ref","channel","store","at"]],"b":[[0,"SKU-00","store-","floor",-1,"sale","R-'
    b'"],[0,"SKU-","store-","backroom",1,"receipt","return","adjustment","transfer","order"],'
    b'{"sku":"","qty":1,"unit_cents":,"discount_cents":0},{"sku":"","qty":1,"refund_cents":}'
    b'"earn","redeem","reverse","expire","adjust","online","click_collect","kiosk","session",'
    b'"order_id","state","picked","collected","cancelled","customer_id","fields","email","phone",'
    b'"name","card","consent_marketing","2026-01-01T00:00:00Z","null,","true","false"]]}'
)
_DICT = zstandard.ZstdCompressionDict(_DICTIONARY_TEXT, dict_type=zstandard.DICT_TYPE_RAWCONTENT)


@dataclass(frozen=True, slots=True)
class Batch:
    origin: str
    ops: tuple[Op, ...]
    # What the sender counts as acknowledged ("a"): a receiver whose mark is below it went back in
    # time (restored from a backup) and asks for a rewind. None from senders that predate it.
    acked: int | None = None

    @property
    def first_seq(self) -> int:
        return self.ops[0].seq if self.ops else 0

    @property
    def last_seq(self) -> int:
        return self.ops[-1].seq if self.ops else 0


class BatchCodec:
    """Encodes and decodes batch frames. Holds zstd contexts: one instance per thread."""

    def __init__(self, level: int = 3) -> None:
        self._compressor = zstandard.ZstdCompressor(level=level, dict_data=_DICT, write_content_size=True)
        self._decompressor = zstandard.ZstdDecompressor(dict_data=_DICT, max_window_size=1 << 25)

    def encode(self, origin: str, ops: Sequence[Op], acked: int | None = None) -> bytes:
        """One frame for ``ops`` (all from ``origin``, in the order given); ``acked`` is the sender's
        acknowledged mark, sent so a receiver restored from a backup notices it is behind."""
        if not ops:
            raise ValueError("a batch holds at least one op")
        doc = _columns(origin, ops)
        if acked is not None:
            doc["a"] = acked
        text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
        return MAGIC + bytes([FORMAT_V1]) + self._compressor.compress(text)

    def decode(self, frame: bytes) -> Batch:
        """The batch in ``frame``; every op validated. Raises MalformedOp."""
        if len(frame) < 4 or frame[:2] != MAGIC:
            raise MalformedOp("not a Vitrine batch frame")
        if frame[2] != FORMAT_V1:
            raise MalformedOp(f"unknown batch format {frame[2]}")
        try:
            text = self._decompressor.decompress(frame[3:], max_output_size=MAX_DECODED_BYTES)
        except zstandard.ZstdError as err:
            raise MalformedOp(f"batch does not decompress: {err}") from err
        if len(text) > MAX_DECODED_BYTES:
            raise MalformedOp("batch too large")
        try:
            doc = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise MalformedOp(f"batch is not JSON: {err}") from err
        return _rows(doc)


def _columns(origin: str, ops: Sequence[Op]) -> dict[str, Any]:
    stamps = [Timestamp.parse(op.hlc) for op in ops]
    seqs = [op.seq for op in ops]
    doc: dict[str, Any] = {"o": origin, "s": seqs[0]}
    steps = [b - a for a, b in itertools.pairwise(seqs)]
    if any(step != 1 for step in steps):
        doc["ds"] = steps
    walls = [ts.wall_ms for ts in stamps]
    doc["w"] = walls[0]
    doc["dw"] = [b - a for a, b in itertools.pairwise(walls)]
    doc["c"] = [ts.counter for ts in stamps]
    nodes = {ts.node for ts in stamps}
    doc["n"] = stamps[0].node if len(nodes) == 1 else [ts.node for ts in stamps]
    doc["t"] = [_CODE_OF.get(op.type, op.type) for op in ops]
    versions = {op.v for op in ops}
    doc["v"] = ops[0].v if len(versions) == 1 else [op.v for op in ops]
    shapes: dict[tuple[str, ...], int] = {}
    rows: list[list[Any]] = []
    for op in ops:
        keys = tuple(op.body)
        shape = shapes.setdefault(keys, len(shapes))
        rows.append([shape, *op.body.values()])
    doc["k"] = [list(keys) for keys in shapes]
    doc["b"] = rows
    return doc


def _per_op(value: Any, count: int, name: str, kind: type) -> list[Any]:
    if isinstance(value, list):
        if len(value) != count:
            raise MalformedOp(f"column {name!r} has {len(value)} entries for {count} ops")
        items = value
    else:
        items = [value] * count
    for item in items:
        if not isinstance(item, kind) or isinstance(item, bool):
            raise MalformedOp(f"column {name!r} holds a {type(item).__name__}")
    return items


def _rows(doc: Any) -> Batch:
    if not isinstance(doc, dict):
        raise MalformedOp("batch document is not an object")
    try:
        origin, first, rows, shapes = doc["o"], doc["s"], doc["b"], doc["k"]
        wall0, dwalls, counters = doc["w"], doc["dw"], doc["c"]
    except KeyError as err:
        raise MalformedOp(f"batch lacks column {err}") from err
    if not isinstance(origin, str) or not isinstance(rows, list) or not isinstance(shapes, list):
        raise MalformedOp("batch columns have the wrong types")
    count = len(rows)
    if not 1 <= count <= MAX_BATCH_OPS:
        raise MalformedOp(f"batch holds {count} ops")
    if not isinstance(first, int) or not isinstance(wall0, int):
        raise MalformedOp("batch seq/wall start is not an integer")
    steps = _per_op(doc.get("ds", 1), count - 1, "ds", int) if count > 1 else []
    dwalls = _per_op(dwalls, count - 1, "dw", int)
    counters = _per_op(counters, count, "c", int)
    nodes = _per_op(doc.get("n"), count, "n", str)
    types = _per_op(doc.get("t"), count, "t", object)
    versions = _per_op(doc.get("v"), count, "v", int)
    for keys in shapes:
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise MalformedOp("batch body shapes are not key lists")
    # Envelope checks that hold for the whole batch are made once (origin, versions, types); the
    # first op of each distinct (type, version) is fully validated by Op.validate.
    validated: set[tuple[str, int]] = set()
    n_shapes = len(shapes)
    ops: list[Op] = []
    seq, wall = first, wall0
    for i, row in enumerate(rows):
        if i:
            seq += steps[i - 1]
            wall += dwalls[i - 1]
        if type(row) is not list or not row or type(row[0]) is not int or not 0 <= row[0] < n_shapes:
            raise MalformedOp(f"batch row {i} is malformed")
        keys = shapes[row[0]]
        if len(row) != len(keys) + 1:
            raise MalformedOp(f"batch row {i} does not match its shape")
        code = types[i]
        if type(code) is int and 0 <= code < len(TYPE_CODES):
            type_name = TYPE_CODES[code]
        elif isinstance(code, str):
            type_name = code
        else:
            raise MalformedOp(f"batch row {i} has a bad type code {code!r}")
        counter, node = counters[i], nodes[i]
        if wall < 0 or not 0 <= counter <= 9999 or "." in node or seq < 1:
            raise MalformedOp(f"batch row {i} has a bad HLC or seq")
        op = Op(
            origin,
            seq,
            f"{wall:013d}.{counter:04d}.{node}",
            type_name,
            dict(zip(keys, row[1:], strict=True)),
            versions[i],
        )
        if (type_name, op.v) not in validated:
            op.validate()
            validated.add((type_name, op.v))
        ops.append(op)
    acked = doc.get("a")
    if acked is not None and (type(acked) is not int or acked < 0):
        raise MalformedOp("batch acked mark is not a non-negative integer")
    return Batch(origin, tuple(ops), acked)


# ---- small control messages: JSON, uncompressed ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Ack:
    """The receiver applied every op of ``origin`` up to ``hwm``. ``gap``: it saw ops beyond a hole
    and asks the sender to resend from ``hwm + 1``.

    Recovery fields (docs/operations.md "Restores"): ``hlc`` is the HLC of the op the receiver holds
    at ``hwm`` — the stream's fingerprint, so a sender restored from a backup sees that the receiver
    holds ops it does not (same seq, other op); ``rewind`` says the receiver is behind what the sender
    counts as acknowledged (the receiver was restored) and asks for everything after ``hwm`` again.
    """

    origin: str
    hwm: int
    gap: bool = False
    hlc: str | None = None
    rewind: bool = False


def encode_ack(ack: Ack) -> bytes:
    doc: dict[str, Any] = {"o": ack.origin, "h": ack.hwm}
    if ack.gap:
        doc["g"] = 1
    if ack.hlc:
        doc["x"] = ack.hlc
    if ack.rewind:
        doc["r"] = 1
    return json.dumps(doc, separators=(",", ":")).encode()


def decode_ack(payload: bytes) -> Ack:
    doc = _json_object(payload, "ack")
    origin, hwm, hlc = doc.get("o"), doc.get("h"), doc.get("x")
    if not isinstance(origin, str) or not isinstance(hwm, int) or isinstance(hwm, bool) or hwm < 0:
        raise MalformedOp("ack needs a string origin and a non-negative integer hwm")
    if hlc is not None and not isinstance(hlc, str):
        raise MalformedOp("ack fingerprint must be a string")
    return Ack(origin, hwm, bool(doc.get("g")), hlc or None, bool(doc.get("r")))


def encode_json(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


def _json_object(payload: bytes, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise MalformedOp(f"{what} is not JSON: {err}") from err
    if not isinstance(doc, dict):
        raise MalformedOp(f"{what} is not a JSON object")
    return doc


def decode_json(payload: bytes, what: str = "message") -> dict[str, Any]:
    """A JSON object (presence, RPC); raises MalformedOp."""
    return _json_object(payload, what)
