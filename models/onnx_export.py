"""Export a :class:`~models.linear.LinearScorer` to an ONNX graph.

Inputs: ``history`` int64[H] (item indices, one per basket that held the item: repeats count),
``exclude`` int64[E] (item indices never to return), ``k`` int64[1].
Outputs: ``items`` int64[min(k, n)] and ``scores`` float32[min(k, n)], best first; excluded items
score -inf. Cross weights travel as fixed-width neighbour lists: ``neighbours`` int32[n + 1, w] and
``weights`` float32[n + 1, w], w = the widest row (rows padded with weight 0 on the pad slot n), so
the model and the session's memory grow with ``items × w``, never ``items²``.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from models.linear import LinearScorer

OPSET = 17
IR_VERSION = 8
NEG_INF = float("-inf")


def neighbour_lists(scorer: LinearScorer) -> tuple[np.ndarray, np.ndarray]:
    """(n + 1) × w item indices and weights; the extra row n (and every padding slot) points at
    the pad slot n with weight 0."""
    n = scorer.n_items
    w = max(1, scorer.width)
    csr = scorer.weights
    per_row = np.diff(csr.indptr)
    rows = np.repeat(np.arange(n), per_row)
    slot = np.arange(csr.nnz) - csr.indptr[rows]
    neighbours = np.full((n + 1, w), n, dtype=np.int32)
    weights = np.zeros((n + 1, w), dtype=np.float32)
    neighbours[rows, slot] = csr.indices
    weights[rows, slot] = csr.data
    return neighbours, weights


def to_onnx(scorer: LinearScorer, name: str = "vitrine-reco") -> onnx.ModelProto:
    """The graph serving ``scorer``; an extra all-zero row ``n`` pads every history so that
    an empty one still has a row to gather."""
    n = scorer.n_items
    neighbours, weights = neighbour_lists(scorer)
    consts = [
        numpy_helper.from_array(neighbours, "neighbours"),
        numpy_helper.from_array(weights, "weights"),
        numpy_helper.from_array(np.append(scorer.repeat, 0).astype(np.float32), "repeat"),
        numpy_helper.from_array(np.append(scorer.bias, 0).astype(np.float32), "bias"),
        numpy_helper.from_array(np.array([n], dtype=np.int64), "pad"),
        numpy_helper.from_array(np.array([n], dtype=np.int64), "n_items"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "zero"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "axis0"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "flat"),
        numpy_helper.from_array(np.array([1.0], dtype=np.float32), "one"),
        numpy_helper.from_array(np.array([NEG_INF], dtype=np.float32), "neg_inf"),
    ]
    transform = (
        [
            helper.make_node("Add", ["counts", "one"], ["counts_1"]),
            helper.make_node("Log", ["counts_1"], ["tw"]),
        ]
        if scorer.transform == "log1p"
        else [helper.make_node("Sign", ["counts"], ["tw"])]
    )
    nodes = [
        helper.make_node("Concat", ["history", "pad"], ["hist"], axis=0),
        helper.make_node("Unique", ["hist"], ["uniq", "first", "inverse", "counts_i"], sorted=1),
        helper.make_node("Cast", ["counts_i"], ["counts"], to=TensorProto.FLOAT),
        *transform,
        helper.make_node("Gather", ["neighbours", "uniq"], ["nb_rows"], axis=0),
        helper.make_node("Gather", ["weights", "uniq"], ["w_rows"], axis=0),
        helper.make_node("Unsqueeze", ["tw", "axis1"], ["tw_col"]),
        helper.make_node("Mul", ["w_rows", "tw_col"], ["contrib"]),
        helper.make_node("Reshape", ["nb_rows", "flat"], ["nb_flat"]),
        helper.make_node("Reshape", ["contrib", "flat"], ["contrib_flat"]),
        helper.make_node("Gather", ["repeat", "uniq"], ["rep_rate"], axis=0),
        helper.make_node("Mul", ["rep_rate", "counts"], ["rep"]),
        helper.make_node("ScatterElements", ["bias", "uniq", "rep"], ["own_pad"], axis=0, reduction="add"),
        helper.make_node(
            "ScatterElements", ["own_pad", "nb_flat", "contrib_flat"], ["raw_pad"], axis=0, reduction="add"
        ),
        helper.make_node("Slice", ["raw_pad", "zero", "n_items", "axis0"], ["raw"]),
        helper.make_node("Shape", ["exclude"], ["n_excl"]),
        helper.make_node("Expand", ["neg_inf", "n_excl"], ["excl_vals"]),
        helper.make_node("ScatterElements", ["raw", "exclude", "excl_vals"], ["masked"], axis=0),
        helper.make_node("Min", ["k", "n_items"], ["kk"]),
        helper.make_node("TopK", ["masked", "kk"], ["scores", "items"], axis=0, largest=1, sorted=1),
    ]
    graph = helper.make_graph(
        nodes,
        name,
        [
            helper.make_tensor_value_info("history", TensorProto.INT64, ["H"]),
            helper.make_tensor_value_info("exclude", TensorProto.INT64, ["E"]),
            helper.make_tensor_value_info("k", TensorProto.INT64, [1]),
        ],
        [
            helper.make_tensor_value_info("items", TensorProto.INT64, ["K"]),
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["K"]),
        ],
        initializer=consts,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="vitrine")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


def to_onnx_bytes(scorer: LinearScorer, name: str = "vitrine-reco") -> bytes:
    return bytes(to_onnx(scorer, name).SerializeToString())
