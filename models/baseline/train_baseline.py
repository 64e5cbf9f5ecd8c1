#!/usr/bin/python3
"""Fits the baseline model (a logistic regression over a few book features, with logit(mid) as the
main input) on the dataset that models/baseline/build-dataset.ts replays through the live
operators, compares it with the market mid as a forecaster, and exports it to ONNX by hand.

Needs only Debian's python3-numpy, python3-sklearn and python3-onnx (no skl2onnx). Inputs: the
dataset CSV and its .meta.json (feature spec, split). Outputs in --out-dir: <name>.onnx,
<name>.card.json, <name>.md and <name>.validation-sample.json.

Usage: train_baseline.py --dataset DATA.csv --meta DATA.csv.meta.json --out-dir models/artifacts
"""

import argparse
import csv
import hashlib
import json
import math
import os
import sys

import numpy as np
import onnx
import sklearn
from onnx import TensorProto, helper, numpy_helper
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

MID_CLIP = 1e-4
OPSET = 13
# Features besides logit(mid): order-book pressure, the cost of crossing, and recent drift.
# Chosen before fitting, from what the book-only data can define; see the card for their weights.
OTHER_FEATURES = ["imbalance_top1", "imbalance_top5", "spread", "momentum_1h"]
C_REGULARISATION = 1.0  # L2 on standardised inputs; the rows number thousands, so it barely binds
SAMPLE_ROWS = 48


def read_dataset(path, names):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    x = np.array([[float(r[n]) for n in names] for r in rows], dtype=np.float64)
    # Scored in float32 by ONNX Runtime: fit and evaluate on exactly the values it will see.
    x = x.astype(np.float32).astype(np.float64)
    y = np.array([int(r["label"]) for r in rows], dtype=np.int64)
    split = np.array([r["split"] for r in rows])
    horizon = np.array([int(r["horizon_min"]) for r in rows], dtype=np.int64)
    # The market's forecast at full precision (the mid as the book gives it, not its float32 input).
    p_market = np.array([float(r["p_market"]) for r in rows], dtype=np.float64)
    return rows, x, y, split, horizon, p_market


def logit_mid(mid):
    p = np.clip(mid, MID_CLIP, 1.0 - MID_CLIP)
    return np.log(p / (1.0 - p))


class Baseline:
    """Median imputation (train medians) -> [logit(clip(mid)), others] -> scaler -> logistic."""

    def __init__(self, names, others=OTHER_FEATURES):
        self.names = names
        self.mid_col = names.index("mid")
        self.other_cols = [names.index(n) for n in others]

    def design(self, x):
        cols = [self.mid_col] + self.other_cols
        sub = x[:, cols].copy()
        for j in range(sub.shape[1]):
            nan = np.isnan(sub[:, j])
            sub[nan, j] = self.medians[j]
        sub[:, 0] = logit_mid(sub[:, 0])
        return sub

    def fit(self, x, y):
        cols = [self.mid_col] + self.other_cols
        self.medians = np.nanmedian(x[:, cols], axis=0)
        if np.any(np.isnan(self.medians)):
            raise SystemExit("a used feature is NaN on every training row: cannot impute it")
        d = self.design(x)
        self.scaler = StandardScaler().fit(d)
        self.lr = LogisticRegression(C=C_REGULARISATION, solver="lbfgs", max_iter=1000, tol=1e-10)
        self.lr.fit(self.scaler.transform(d), y)
        # Fold the standardisation into raw-scale weights: what the ONNX graph and the card carry.
        scale = self.scaler.scale_
        mean = self.scaler.mean_
        coef = self.lr.coef_[0]
        self.weights = coef / scale
        self.intercept = float(self.lr.intercept_[0] - np.sum(coef * mean / scale))
        return self

    def predict_proba(self, x):
        return self.lr.predict_proba(self.scaler.transform(self.design(x)))[:, 1]


def brier(p, y):
    return float(np.mean((p - y) ** 2))


def log_loss(p, y):
    q = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


def scores(p_model, mid, y):
    """Model on every row; model and market on the rows where the mid is defined (both sides quoted)."""
    has_mid = ~np.isnan(mid)
    p_market = np.clip(mid[has_mid], MID_CLIP, 1 - MID_CLIP)
    return {
        "rows": int(len(y)),
        "positives": int(y.sum()),
        "model_all_rows": {"brier": brier(p_model, y), "log_loss": log_loss(p_model, y)},
        "rows_with_mid": int(has_mid.sum()),
        "model": {"brier": brier(p_model[has_mid], y[has_mid]), "log_loss": log_loss(p_model[has_mid], y[has_mid])},
        "market": {"brier": brier(p_market, y[has_mid]), "log_loss": log_loss(p_market, y[has_mid])},
    }


def build_onnx(model, meta, model_version):
    n_features = len(model.names)
    k = 1 + len(model.other_cols)
    f32 = lambda a: np.asarray(a, dtype=np.float32)
    inits = [
        numpy_helper.from_array(np.array([model.mid_col], dtype=np.int64), "mid_index"),
        numpy_helper.from_array(np.array(model.other_cols, dtype=np.int64), "other_index"),
        numpy_helper.from_array(f32([model.medians[0]]), "mid_median"),
        numpy_helper.from_array(f32(model.medians[1:]), "other_median"),
        numpy_helper.from_array(f32(MID_CLIP), "clip_lo"),
        numpy_helper.from_array(f32(1.0 - MID_CLIP), "clip_hi"),
        numpy_helper.from_array(f32(1.0), "one"),
        numpy_helper.from_array(f32(model.weights).reshape(k, 1), "weights"),
        numpy_helper.from_array(f32([model.intercept]), "intercept"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "flat_shape"),
    ]
    nodes = [
        helper.make_node("Gather", ["features", "mid_index"], ["mid_raw"], axis=1),
        helper.make_node("IsNaN", ["mid_raw"], ["mid_nan"]),
        helper.make_node("Where", ["mid_nan", "mid_median", "mid_raw"], ["mid"]),
        helper.make_node("Clip", ["mid", "clip_lo", "clip_hi"], ["mid_clipped"]),
        helper.make_node("Sub", ["one", "mid_clipped"], ["one_minus_mid"]),
        helper.make_node("Div", ["mid_clipped", "one_minus_mid"], ["odds"]),
        helper.make_node("Log", ["odds"], ["logit_mid"]),
        helper.make_node("Gather", ["features", "other_index"], ["other_raw"], axis=1),
        helper.make_node("IsNaN", ["other_raw"], ["other_nan"]),
        helper.make_node("Where", ["other_nan", "other_median", "other_raw"], ["other"]),
        helper.make_node("Concat", ["logit_mid", "other"], ["design"], axis=1),
        helper.make_node("MatMul", ["design", "weights"], ["linear"]),
        helper.make_node("Add", ["linear", "intercept"], ["score"]),
        helper.make_node("Sigmoid", ["score"], ["p_col"]),
        helper.make_node("Reshape", ["p_col", "flat_shape"], ["probability"]),
    ]
    graph = helper.make_graph(
        nodes,
        "baseline_logistic",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", n_features])],
        [helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["N"])],
        initializer=inits,
    )
    m = helper.make_model(
        graph,
        producer_name="polyflow models/baseline/train_baseline.py",
        opset_imports=[helper.make_opsetid("", OPSET)],
    )
    m.ir_version = 8  # ORT 1.30 reads 8+; onnx 1.12 writes 8 for opset 13 as well
    m.doc_string = "P(tracked token pays 1): logistic over logit(mid) and book features; NaN -> train median"
    helper.set_model_props(
        m,
        {
            "feature_spec_hash": meta["feature_spec"]["hash"],
            "feature_spec_version": meta["feature_spec"]["version"],
            "model_version": model_version,
        },
    )
    onnx.checker.check_model(m, full_check=True)
    return m


def reference_formula(model, x):
    """The exported graph written out in numpy (float64): a check on the fold, before ORT checks it."""
    d = model.design(x)
    return 1.0 / (1.0 + np.exp(-(d @ model.weights + model.intercept)))


def sample_rows(x, p, split, seed=7):
    """A small, fixed validation sample: rows with NaNs first (imputation paths), then spread by price."""
    val = np.flatnonzero(split == "validation")
    has_nan = val[np.isnan(x[val]).any(axis=1) & ~np.isnan(x[val, 0])]
    no_mid = val[np.isnan(x[val, 0])]
    rng = np.random.RandomState(seed)
    picks = list(no_mid[:4]) + list(has_nan[:8])
    rest = np.setdiff1d(val, picks)
    picks += list(rng.choice(rest, size=min(SAMPLE_ROWS - len(picks), len(rest)), replace=False))
    picks = sorted(int(i) for i in picks)
    enc = lambda v: None if math.isnan(v) else float(np.float32(v))
    return picks, [[enc(v) for v in x[i]] for i in picks], [float(p[i]) for i in picks]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def markdown_card(card):
    m = card["metrics"]
    lines = [
        f"# {card['model_version']}: baseline logistic regression",
        "",
        card["summary"],
        "",
        "## Data",
        f"- Source: `{card['training_data']['source']}`, read by path: "
        + ", ".join(f"`{f['file']}` (sha256 `{f['sha256'][:16]}…`)" for f in card["training_data"]["files"])
        + ".",
        f"- Rows: point-in-time feature vectors at {', '.join(str(h) for h in card['training_data']['horizons_min'])} minutes "
        "before first pitch (the last vector at or before each horizon, produced by the live `applyBookUpdate` + "
        "`marketFeatures` step); label = `tracked_token_won`.",
        f"- Split by game, forward in time: validation = games whose latest first pitch >= {card['training_data']['cutoff_iso']}.",
        "",
        "| split | rows | markets | games | first pitch from | to |",
        "|---|---|---|---|---|---|",
    ]
    for s in ("train", "validation"):
        d = card["training_data"]["splits"][s]
        lines.append(f"| {s} | {d['rows']} | {d['markets']} | {d['games']} | {d['first_pitch_from']} | {d['first_pitch_to']} |")
    lines += [
        "",
        "## Model",
        f"p = sigmoid({card['coefficients']['intercept']:.6f}"
        + "".join(f" + {w:.6f}·{n}" for n, w in card["coefficients"]["weights"].items())
        + ")",
        "",
        f"with logit_mid = ln(m/(1-m)), m = clip(mid, {MID_CLIP}, {1 - MID_CLIP}); a NaN input is replaced by its train median "
        f"({', '.join(f'{n}={v:.6g}' for n, v in card['transform']['medians'].items())}).",
        "",
        card["fit"]["how"],
        "",
        "## Metrics (model vs the market mid as a forecaster, rows where the mid is defined)",
        "",
        "| split | rows | model Brier | market Brier | model log loss | market log loss |",
        "|---|---|---|---|---|---|",
    ]
    for s in ("train", "validation"):
        d = m[s]
        lines.append(
            f"| {s} | {d['rows_with_mid']} | {d['model']['brier']:.5f} | {d['market']['brier']:.5f} | "
            f"{d['model']['log_loss']:.5f} | {d['market']['log_loss']:.5f} |"
        )
    v = m["validation"]
    verdict = "beats" if v["model"]["log_loss"] < v["market"]["log_loss"] and v["model"]["brier"] < v["market"]["brier"] else "does not beat"
    a = card["ablation_logit_mid_only"]["validation"]
    lines += [
        "",
        f"On the forward validation split the model {verdict} the market mid "
        f"(Brier {v['model']['brier'] - v['market']['brier']:+.5f}, log loss {v['model']['log_loss'] - v['market']['log_loss']:+.5f}).",
        f"Post hoc diagnostic, not used to choose the model: logit(mid) alone, fitted the same way, scores Brier "
        f"{a['model']['brier']:.5f} / log loss {a['model']['log_loss']:.5f} on validation.",
    ]
    lines += ["", "Validation by horizon:", "", "| minutes before first pitch | rows | model Brier | market Brier |", "|---|---|---|---|"]
    for h, d in card["metrics"]["validation_by_horizon"].items():
        lines.append(f"| {h} | {d['rows_with_mid']} | {d['model']['brier']:.5f} | {d['market']['brier']:.5f} |")
    lines += [
        "",
        "## Artifact",
        f"- `{card['artifact']['file']}`, sha256 `{card['artifact']['sha256']}`, ONNX opset {OPSET} (default domain only).",
        f"- Input `features` float32 [N, {card['feature_spec']['n_features']}] in the order of FEATURE_SPEC "
        f"{card['feature_spec']['version']} (hash `{card['feature_spec']['hash']}`); output `probability` float32 [N].",
        "- metadata_props: feature_spec_hash, feature_spec_version, model_version (checked by `loadOnnxScorer`).",
        "",
        "## Limits",
        *[f"- {t}" for t in card["limits"]],
        "",
    ]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--name", default="baseline-logistic")
    ap.add_argument("--model-version", default="baseline-logistic-1")
    args = ap.parse_args()

    with open(args.meta) as f:
        meta = json.load(f)
    names = meta["feature_spec"]["names"]
    rows, x, y, split, horizon, mid = read_dataset(args.dataset, names)
    train, val = split == "train", split == "validation"
    if train.sum() == 0 or val.sum() == 0:
        raise SystemExit("empty train or validation split")

    model = Baseline(names).fit(x[train], y[train])
    p = model.predict_proba(x)
    ref = reference_formula(model, x)
    fold_err = float(np.max(np.abs(ref - p)))
    if fold_err > 1e-9:
        raise SystemExit(f"folded weights disagree with sklearn by {fold_err}")

    metrics = {"train": scores(p[train], mid[train], y[train]), "validation": scores(p[val], mid[val], y[val])}
    metrics["validation_by_horizon"] = {
        str(h): scores(p[val & (horizon == h)], mid[val & (horizon == h)], y[val & (horizon == h)])
        for h in sorted(set(horizon[val].tolist()), reverse=True)
    }

    # Post hoc diagnostic, not used to choose the model: the same fit on logit(mid) alone.
    mid_only = Baseline(names, others=[]).fit(x[train], y[train])
    p_mid_only = mid_only.predict_proba(x)
    ablation = {
        "note": "post hoc diagnostic, computed after the features were fixed; not used to choose the model",
        "design": ["logit_mid"],
        "intercept": mid_only.intercept,
        "weights": {"logit_mid": float(mid_only.weights[0])},
        "train": scores(p_mid_only[train], mid[train], y[train]),
        "validation": scores(p_mid_only[val], mid[val], y[val]),
    }

    os.makedirs(args.out_dir, exist_ok=True)
    onnx_path = os.path.join(args.out_dir, f"{args.name}.onnx")
    m = build_onnx(model, meta, args.model_version)
    onnx.save(m, onnx_path)
    onnx.checker.check_model(onnx_path)

    picks, sample_x, sample_p = sample_rows(x, p, split)
    sample = {
        "model_version": args.model_version,
        "feature_spec_hash": meta["feature_spec"]["hash"],
        "note": "validation rows (null = NaN) and sklearn predict_proba[:, 1] for them; ORT in Node must match within 1e-5",
        "rows": [
            {"market": rows[i]["market"], "ts": int(rows[i]["ts"]), "horizon_min": int(rows[i]["horizon_min"]), "features": fx, "p_sklearn": pp}
            for i, fx, pp in zip(picks, sample_x, sample_p)
        ],
    }
    sample_path = os.path.join(args.out_dir, f"{args.name}.validation-sample.json")
    with open(sample_path, "w") as f:
        json.dump(sample, f, separators=(",", ":"))
        f.write("\n")

    used = ["mid"] + OTHER_FEATURES
    s_meta = meta["splits"]
    card = {
        "model_version": args.model_version,
        "name": args.name,
        "summary": "Logistic regression of the tracked token's outcome on logit(mid) and four book features: "
        "a recalibration of the market price, the baseline every other model must beat.",
        "model_type": "logistic_regression",
        "feature_spec": {"version": meta["feature_spec"]["version"], "hash": meta["feature_spec"]["hash"], "n_features": len(names)},
        "features_used": used,
        "transform": {
            "impute": "NaN -> train median, per feature",
            "medians": {n: float(np.float32(v)) for n, v in zip(used, model.medians)},
            "mid_clip": [MID_CLIP, 1 - MID_CLIP],
            "design": ["logit_mid"] + OTHER_FEATURES,
        },
        "coefficients": {
            "intercept": model.intercept,
            "weights": {n: float(w) for n, w in zip(["logit_mid"] + OTHER_FEATURES, model.weights)},
            "formula": "p = sigmoid(intercept + sum(weights[n] * design[n])), logit_mid = ln(m/(1-m)), m = clip(mid, 1e-4, 1-1e-4)",
        },
        "training_data": {
            "source": meta["source"],
            "files": meta["files"],
            "horizons_min": meta["horizons_min"],
            "cutoff_iso": meta["cutoff_iso"],
            "cutoff_ms": meta["cutoff_ms"],
            "splits": {
                s: {**s_meta[s], "rows": int((split == s).sum()), "positives": int(y[split == s].sum())}
                for s in ("train", "validation")
            },
            "dataset_builder": "models/baseline/build-dataset.ts",
        },
        "metrics": metrics,
        "ablation_logit_mid_only": ablation,
        "fit": {
            "library": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, onnx {onnx.__version__}",
            "estimator": f"LogisticRegression(C={C_REGULARISATION}, solver='lbfgs', tol=1e-10) on StandardScaler'd design",
            "how": "Medians of the used features from the train split replace NaNs; the design is "
            "[logit(clip(mid)), " + ", ".join(OTHER_FEATURES) + "], standardised with train mean/std, "
            f"fitted by L2-penalised (C={C_REGULARISATION}) maximum likelihood on the train split only; the "
            "standardisation is folded into the raw-scale weights below. No calibration step after it: the "
            "logistic on logit(mid) is itself a recalibration of the market price. Validation rows never "
            "touch the fit.",
            "fold_max_abs_error": fold_err,
        },
        "artifact": {
            "file": os.path.basename(onnx_path),
            "sha256": sha256(onnx_path),
            "opset": OPSET,
            "input": {"name": "features", "type": "float32", "shape": ["N", len(names)]},
            "output": {"name": "probability", "type": "float32", "shape": ["N"]},
            "validation_sample": os.path.basename(sample_path),
            "onnx_checker": "passed (full_check)",
        },
        "limits": [
            "One sport, one season (MLB 2026), pre-game books only; markets selected by the source's author, not a random sample.",
            "Book-only history: trade features (vwap, volume, flow) are undefined in this data and unused.",
            "Several horizons of one market are correlated rows; metrics are per row, not per independent market.",
            "Which side the tracked token is (home/away, over/under) is unknown to the data.",
        ],
    }
    card_path = os.path.join(args.out_dir, f"{args.name}.card.json")
    with open(card_path, "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out_dir, f"{args.name}.md"), "w") as f:
        f.write(markdown_card(card))
    json.dump({"card": card_path, "onnx": onnx_path, "sample": sample_path}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
