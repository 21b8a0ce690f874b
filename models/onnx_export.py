"""Export a :class:`~models.linear.LinearScorer` to an ONNX graph.

Inputs: ``history`` int64[H] (item indices, one per basket that held the item: repeats count),
``exclude`` int64[E] (item indices never to return), ``k`` int64[1].
Outputs: ``items`` int64[min(k, n)] and ``scores`` float32[min(k, n)], best first; excluded items
score -inf. Cross weights are stored as a sparse initializer (only non-zero entries travel; the
runtime densifies them once at load).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from models.linear import LinearScorer

OPSET = 17
IR_VERSION = 8
NEG_INF = float("-inf")


def to_onnx(scorer: LinearScorer, name: str = "vitrine-reco") -> onnx.ModelProto:
    """The graph serving ``scorer``; an extra all-zero row ``n`` pads every history so that
    an empty one still has a row to gather."""
    n = scorer.n_items
    padded = np.zeros((n + 1, n), dtype=np.float32)
    padded[:n] = scorer.weights
    rows, cols = np.nonzero(padded)
    weights = helper.make_sparse_tensor(
        numpy_helper.from_array(padded[rows, cols].astype(np.float32), "weights"),
        numpy_helper.from_array((rows * n + cols).astype(np.int64), "weights_indices"),
        [n + 1, n],
    )
    consts = [
        numpy_helper.from_array(np.append(scorer.repeat, 0).astype(np.float32), "repeat"),
        numpy_helper.from_array(np.append(scorer.bias, 0).astype(np.float32), "bias"),
        numpy_helper.from_array(np.array([n], dtype=np.int64), "pad"),
        numpy_helper.from_array(np.array([n], dtype=np.int64), "n_items"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "zero"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "axis0"),
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
        helper.make_node("Gather", ["weights", "uniq"], ["rows"], axis=0),
        helper.make_node("Unsqueeze", ["tw", "axis0"], ["tw_row"]),
        helper.make_node("MatMul", ["tw_row", "rows"], ["cross_row"]),
        helper.make_node("Squeeze", ["cross_row", "axis0"], ["cross"]),
        helper.make_node("Gather", ["repeat", "uniq"], ["rep_rate"], axis=0),
        helper.make_node("Mul", ["rep_rate", "counts"], ["rep"]),
        helper.make_node("ScatterElements", ["bias", "uniq", "rep"], ["own_pad"], axis=0, reduction="add"),
        helper.make_node("Slice", ["own_pad", "zero", "n_items", "axis0"], ["own"]),
        helper.make_node("Add", ["cross", "own"], ["raw"]),
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
        sparse_initializer=[weights],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="vitrine")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


def to_onnx_bytes(scorer: LinearScorer, name: str = "vitrine-reco") -> bytes:
    return bytes(to_onnx(scorer, name).SerializeToString())
