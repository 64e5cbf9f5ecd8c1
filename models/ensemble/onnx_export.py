"""Hand-built ONNX graphs for the ensemble members and the stack (no skl2onnx/onnxmltools here).

Every graph: float32 `features` [N, F] in FEATURE_SPEC order (the text member: `text` [N, D]),
outputs `probability` [N] and `logit` [N]; metadata_props carry the feature spec and version.
Trees: ai.onnx.ml TreeEnsembleRegressor summing margins (no ZipMap, no classifier class_ids issue),
then Sigmoid. XGBoost: `x < t` (BRANCH_LT) as its JSON dump says; HistGradientBoosting: `x <= t`
(BRANCH_LEQ) with t rounded DOWN to float32 so float32 inputs split exactly as in float64.
"""

import json

import numpy as np
from onnx import TensorProto, helper, numpy_helper

OPSET = [helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 3)]


def f32(a):
    return np.asarray(a, dtype=np.float32)


def floor_f32(t):
    """Largest float32 <= t."""
    v = np.float32(t)
    if float(v) > t:
        v = np.nextafter(v, np.float32(-np.inf))
    return float(v)


def _finish(nodes, inits, inputs, name, meta):
    out_p = helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["N"])
    out_l = helper.make_tensor_value_info("logit", TensorProto.FLOAT, ["N"])
    graph = helper.make_graph(nodes, name, inputs, [out_p, out_l], initializer=inits)
    model = helper.make_model(graph, opset_imports=OPSET, producer_name="polyflow-train-ensemble")
    model.ir_version = 8
    for k, v in meta.items():
        e = model.metadata_props.add()
        e.key = k
        e.value = str(v)
    import onnx

    onnx.checker.check_model(model)
    return model


def _features_input(n_features):
    return helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", n_features])


def _margin_to_outputs(nodes, inits, margin_col):
    """[N,1] margin -> logit [N], probability [N]."""
    inits.append(numpy_helper.from_array(np.array([-1], dtype=np.int64), "flat_shape"))
    nodes.append(helper.make_node("Reshape", [margin_col, "flat_shape"], ["logit"]))
    nodes.append(helper.make_node("Sigmoid", ["logit"], ["probability"]))


class Trees:
    """Flat node lists for TreeEnsembleRegressor."""

    def __init__(self):
        self.a = {k: [] for k in ["tree", "node", "feat", "mode", "value", "true", "false", "miss"]}
        self.t = {k: [] for k in ["tree", "node", "weight"]}

    def branch(self, tree, node, feat, mode, value, true_id, false_id, missing_true):
        a = self.a
        a["tree"].append(tree); a["node"].append(node); a["feat"].append(int(feat)); a["mode"].append(mode)
        a["value"].append(float(value)); a["true"].append(int(true_id)); a["false"].append(int(false_id))
        a["miss"].append(1 if missing_true else 0)

    def leaf(self, tree, node, weight):
        a = self.a
        a["tree"].append(tree); a["node"].append(node); a["feat"].append(0); a["mode"].append("LEAF")
        a["value"].append(0.0); a["true"].append(0); a["false"].append(0); a["miss"].append(0)
        self.t["tree"].append(tree); self.t["node"].append(node); self.t["weight"].append(float(weight))

    def node(self, base):
        a, t = self.a, self.t
        return helper.make_node(
            "TreeEnsembleRegressor", ["features"], ["margin"], domain="ai.onnx.ml",
            n_targets=1, aggregate_function="SUM", post_transform="NONE", base_values=[float(base)],
            nodes_treeids=a["tree"], nodes_nodeids=a["node"], nodes_featureids=a["feat"], nodes_modes=a["mode"],
            nodes_values=a["value"], nodes_truenodeids=a["true"], nodes_falsenodeids=a["false"],
            nodes_missing_value_tracks_true=a["miss"],
            target_treeids=t["tree"], target_nodeids=t["node"], target_ids=[0] * len(t["tree"]), target_weights=t["weight"],
        )


def xgboost_onnx(booster, used, n_features, base_margin, meta):
    """`used[j]`: index in the full feature vector of the booster's feature f{j}."""
    trees = Trees()

    def walk(tree, n):
        if "leaf" in n:
            trees.leaf(tree, n["nodeid"], n["leaf"])
            return
        j = int(n["split"][1:])
        trees.branch(tree, n["nodeid"], used[j], "BRANCH_LT", n["split_condition"], n["yes"], n["no"], n["missing"] == n["yes"])
        for c in n["children"]:
            walk(tree, c)

    for i, text in enumerate(booster.get_dump(dump_format="json")):
        walk(i, json.loads(text))
    nodes = [trees.node(base_margin)]
    inits = []
    _margin_to_outputs(nodes, inits, "margin")
    return _finish(nodes, inits, [_features_input(n_features)], "xgboost", meta)


def histgb_onnx(clf, used, n_features, meta):
    trees = Trees()
    for i, predictors in enumerate(clf._predictors):
        nodes_arr = predictors[0].nodes
        for k, nd in enumerate(nodes_arr):
            if nd["is_leaf"]:
                trees.leaf(i, k, nd["value"])
            else:
                if nd["is_categorical"]:
                    raise SystemExit("categorical splits are not exported")
                trees.branch(i, k, used[int(nd["feature_idx"])], "BRANCH_LEQ", floor_f32(float(nd["num_threshold"])),
                             nd["left"], nd["right"], bool(nd["missing_go_to_left"]))
    base = float(np.ravel(clf._baseline_prediction)[0])
    nodes = [trees.node(base)]
    inits = []
    _margin_to_outputs(nodes, inits, "margin")
    return _finish(nodes, inits, [_features_input(n_features)], "histgb", meta)


def mlp_onnx(prep, mlp, n_features, meta):
    """prep: dict(used, medians, mid_pos (in used), clip, mean, scale); design = [imputed used, logit(mid)]."""
    used = prep["used"]
    inits = [
        numpy_helper.from_array(np.array(used, dtype=np.int64), "used_index"),
        numpy_helper.from_array(f32(prep["medians"]), "medians"),
        numpy_helper.from_array(np.array([prep["mid_pos"]], dtype=np.int64), "mid_pos"),
        numpy_helper.from_array(f32(prep["clip"]), "clip_lo"),
        numpy_helper.from_array(f32(1.0 - prep["clip"]), "clip_hi"),
        numpy_helper.from_array(f32(1.0), "one"),
        numpy_helper.from_array(f32(prep["mean"]), "mean"),
        numpy_helper.from_array(f32(prep["scale"]), "scale"),
    ]
    nodes = [
        helper.make_node("Gather", ["features", "used_index"], ["raw"], axis=1),
        helper.make_node("IsNaN", ["raw"], ["nan"]),
        helper.make_node("Where", ["nan", "medians", "raw"], ["imputed"]),
        helper.make_node("Gather", ["imputed", "mid_pos"], ["mid"], axis=1),
        helper.make_node("Clip", ["mid", "clip_lo", "clip_hi"], ["mid_c"]),
        helper.make_node("Sub", ["one", "mid_c"], ["one_minus"]),
        helper.make_node("Div", ["mid_c", "one_minus"], ["odds"]),
        helper.make_node("Log", ["odds"], ["logit_mid"]),
        helper.make_node("Concat", ["imputed", "logit_mid"], ["design"], axis=1),
        helper.make_node("Sub", ["design", "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "scale"], ["h0"]),
    ]
    h = "h0"
    n_layers = len(mlp.coefs_)
    if mlp.activation != "relu":
        raise SystemExit("only relu MLPs are exported")
    for i, (w, b) in enumerate(zip(mlp.coefs_, mlp.intercepts_)):
        inits.append(numpy_helper.from_array(f32(w), f"w{i}"))
        inits.append(numpy_helper.from_array(f32(b), f"b{i}"))
        nodes.append(helper.make_node("MatMul", [h, f"w{i}"], [f"m{i}"]))
        if i == n_layers - 1:
            nodes.append(helper.make_node("Add", [f"m{i}", f"b{i}"], ["margin"]))
        else:
            nodes.append(helper.make_node("Add", [f"m{i}", f"b{i}"], [f"z{i}"]))
            nodes.append(helper.make_node("Relu", [f"z{i}"], [f"a{i}"]))
            h = f"a{i}"
    _margin_to_outputs(nodes, inits, "margin")
    return _finish(nodes, inits, [_features_input(n_features)], "mlp", meta)


def text_onnx(coef, intercept, dims, meta):
    inits = [numpy_helper.from_array(f32(coef).reshape(dims, 1), "w"), numpy_helper.from_array(f32([intercept]), "b")]
    nodes = [helper.make_node("MatMul", ["text", "w"], ["m"]), helper.make_node("Add", ["m", "b"], ["margin"])]
    _margin_to_outputs(nodes, inits, "margin")
    inp = helper.make_tensor_value_info("text", TensorProto.FLOAT, ["N", dims])
    return _finish(nodes, inits, [inp], "text", meta)


def stack_onnx(weights, intercept, mid_index, clip, calib_a, calib_b, n_members, n_features, meta):
    """z = w . [member logits, logit(clip(mid))] + c; p = sigmoid(a z + b). NaN mid -> logit 0 is never
    reached: rows without a market price are not scored by the ensemble (pMarket is NaN there)."""
    inits = [
        numpy_helper.from_array(np.array([mid_index], dtype=np.int64), "mid_index"),
        numpy_helper.from_array(f32(clip), "clip_lo"),
        numpy_helper.from_array(f32(1.0 - clip), "clip_hi"),
        numpy_helper.from_array(f32(1.0), "one"),
        numpy_helper.from_array(f32(0.5), "half"),
        numpy_helper.from_array(f32(weights).reshape(n_members + 1, 1), "w"),
        numpy_helper.from_array(f32([intercept]), "c"),
        numpy_helper.from_array(f32([calib_a]), "cal_a"),
        numpy_helper.from_array(f32([calib_b]), "cal_b"),
    ]
    nodes = [
        helper.make_node("Gather", ["features", "mid_index"], ["mid_raw"], axis=1),
        helper.make_node("IsNaN", ["mid_raw"], ["mid_nan"]),
        helper.make_node("Where", ["mid_nan", "half", "mid_raw"], ["mid"]),
        helper.make_node("Clip", ["mid", "clip_lo", "clip_hi"], ["mid_c"]),
        helper.make_node("Sub", ["one", "mid_c"], ["one_minus"]),
        helper.make_node("Div", ["mid_c", "one_minus"], ["odds"]),
        helper.make_node("Log", ["odds"], ["logit_mid"]),
        helper.make_node("Concat", ["member_logits", "logit_mid"], ["design"], axis=1),
        helper.make_node("MatMul", ["design", "w"], ["zm"]),
        helper.make_node("Add", ["zm", "c"], ["z"]),
        helper.make_node("Mul", ["z", "cal_a"], ["za"]),
        helper.make_node("Add", ["za", "cal_b"], ["margin"]),
    ]
    _margin_to_outputs(nodes, inits, "margin")
    inputs = [
        helper.make_tensor_value_info("member_logits", TensorProto.FLOAT, ["N", n_members]),
        _features_input(n_features),
    ]
    return _finish(nodes, inits, inputs, "stack", meta)
