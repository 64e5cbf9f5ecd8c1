#!/usr/bin/python3
"""Trains the forecasting ensemble on datasets written by `polyflow dataset`, exports every member
and the stack to ONNX by hand, and writes a manifest, a model card and native predictions.

Members: XGBoost, sklearn HistGradientBoosting, sklearn MLP (on the feature columns no dataset
excludes) and a text model (hashed question n-grams + logistic). Out-of-fold predictions come from
forward-chaining CV over the datasets' time-ordered event folds (fold k predicted by members fitted
on folds < k; an event's markets share one fold). The stack (logistic regression on member logits
and logit(mid)) is fitted on those OOF rows; its calibration (Platt: a*z + b) on stack predictions
that are themselves out of fold. The forward holdout is scored once, at the end.

Needs Debian python3-numpy, python3-scipy, python3-sklearn, python3-xgboost, python3-onnx.
Usage: train_ensemble.py --data A.csv [B.csv ...] --out-dir DIR [--model-version V] [--quick]
"""

import argparse
import csv
import hashlib
import json
import os
import sys
import time

import numpy as np
import onnx
import sklearn
import xgboost
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from members import HistGbMember, MlpMember, TextMember, XgbMember, logit, sigmoid  # noqa: E402
import onnx_export  # noqa: E402

SEED = 20240611
STACK_C = 1.0
SAMPLE_ROWS = 64
MEMBER_NAMES = ["xgboost", "histgb", "mlp", "text"]


def read_datasets(paths):
    metas, cols = [], None
    rows = []
    for p in paths:
        with open(p + ".meta.json") as f:
            metas.append(json.load(f))
        with open(p, newline="") as f:
            r = csv.DictReader(f)
            cols = r.fieldnames
            rows.extend(r)
    names = metas[0]["feature_spec"]["names"]
    for m in metas:
        if m["feature_spec"]["hash"] != metas[0]["feature_spec"]["hash"]:
            raise SystemExit("datasets were built for different feature specs")
        if m["text_hash"] != metas[0]["text_hash"]:
            raise SystemExit("datasets hash question text differently")
    x = np.array([[float(r[n]) for n in names] for r in rows], dtype=np.float32)
    d = {
        "x": x,
        "y": np.array([int(r["label"]) for r in rows], dtype=np.int64),
        "split": np.array([r["split"] for r in rows]),
        "fold": np.array([int(r["fold"]) for r in rows], dtype=np.int64),
        "p_market": np.array([float(r["p_market"]) for r in rows]),
        "text": [[int(b) for b in r["text_buckets"].split()] if r["text_buckets"] else [] for r in rows],
        "source": np.array([r["source"] for r in rows]),
        "market": np.array([r["market"] for r in rows]),
        "horizon": np.array([int(r["horizon_min"]) for r in rows]),
        "ts": np.array([int(r["ts"]) for r in rows], dtype=np.int64),
        "resolution_ts": np.array([int(r["resolution_ts"]) for r in rows], dtype=np.int64),
    }
    return d, metas, names


def brier(p, y):
    return float(np.mean((p - y) ** 2))


def log_loss(p, y):
    q = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


def scores(p, y):
    return {"brier": brier(p, y), "log_loss": log_loss(p, y)}


def make_members(used, mid_index, dims, quick):
    return [XgbMember(used, SEED, quick), HistGbMember(used, SEED, quick), MlpMember(used, mid_index, SEED, quick), TextMember(dims)]


def subset(d, mask):
    return d["x"][mask], [t for t, m in zip(d["text"], mask) if m], d["y"][mask]


def stack_design(member_margins, mid):
    m = np.clip(np.nan_to_num(mid.astype(np.float32).astype(np.float64), nan=0.5), 1e-4, 1 - 1e-4)
    return np.column_stack([member_margins, np.log(m / (1 - m))])


def fit_stack(design, y):
    return LogisticRegression(C=STACK_C, solver="lbfgs", max_iter=2000, tol=1e-10).fit(design, y)


def platt(z, y):
    lr = LogisticRegression(C=1e6, solver="lbfgs", max_iter=2000, tol=1e-10).fit(z.reshape(-1, 1), y)
    return float(lr.coef_[0][0]), float(lr.intercept_[0])


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", nargs="+", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--model-version")
    ap.add_argument("--quick", action="store_true", help="fewer trees/epochs (tests)")
    a = ap.parse_args()
    t0 = time.time()
    d, metas, names = read_datasets(a.data)
    n_features = len(names)
    mid_index = names.index("mid")
    excluded = sorted({f for m in metas for f in m["excluded_features"]})
    used = [i for i, n in enumerate(names) if n not in excluded]
    dims = metas[0]["text_hash"]["dims"]
    train = d["split"] == "train"
    hold = d["split"] == "holdout"
    folds = sorted(set(d["fold"][train].tolist()))
    log = lambda s: print(f"[{time.time() - t0:6.1f}s] {s}", file=sys.stderr, flush=True)
    log(f"{len(d['y'])} rows ({train.sum()} train / {hold.sum()} holdout), {len(used)} feature columns used, folds {folds}")

    # 1. Out-of-fold member margins, forward-chaining: fold k from members fitted on folds < k.
    oof = np.full((len(d["y"]), len(MEMBER_NAMES)), np.nan)
    for k in folds[1:]:
        fit_mask = train & (d["fold"] < k)
        pred_mask = train & (d["fold"] == k)
        x, t, y = subset(d, fit_mask)
        px, pt, _ = subset(d, pred_mask)
        for j, m in enumerate(make_members(used, mid_index, dims, a.quick)):
            oof[pred_mask, j] = m.fit(x, t, y).margin(px, pt)
        log(f"OOF fold {k}: fitted on {fit_mask.sum()} rows, predicted {pred_mask.sum()}")
    has_oof = train & ~np.isnan(oof[:, 0])

    # 2. Stack on OOF rows; calibration on stack predictions that are out of fold themselves.
    design = stack_design(oof, d["x"][:, mid_index])
    stack = fit_stack(design[has_oof], d["y"][has_oof])
    z_oof = np.full(len(d["y"]), np.nan)
    for k in folds[2:]:
        fit_mask = has_oof & (d["fold"] < k)
        pred_mask = has_oof & (d["fold"] == k)
        z_oof[pred_mask] = fit_stack(design[fit_mask], d["y"][fit_mask]).decision_function(design[pred_mask])
    cal_mask = ~np.isnan(z_oof)
    cal_a, cal_b = platt(z_oof[cal_mask], d["y"][cal_mask])
    log(f"stack weights {np.round(stack.coef_[0], 4).tolist()} + {stack.intercept_[0]:.4f}; Platt a={cal_a:.4f} b={cal_b:.4f} on {cal_mask.sum()} rows")

    # 3. Final members on every training row.
    x, t, y = subset(d, train)
    final = [m.fit(x, t, y) for m in make_members(used, mid_index, dims, a.quick)]
    log("final members fitted")

    def ensemble(mask):
        xs, ts, _ = subset(d, mask)
        margins = np.column_stack([m.margin(xs, ts) for m in final])
        z = stack.decision_function(stack_design(margins, d["x"][mask, mid_index]))
        return margins, sigmoid(cal_a * z + cal_b)

    # 4. Metrics: OOF (what the stack saw), and the forward holdout, touched once here.
    def block(mask, members_margins, p_ens):
        yy = d["y"][mask]
        out = {"rows": int(mask.sum()), "markets": int(len(set(d["market"][mask]))), "positives": int(yy.sum()),
               "market": scores(d["p_market"][mask], yy), "ensemble": scores(p_ens, yy)}
        for j, n in enumerate(MEMBER_NAMES):
            out[n] = scores(sigmoid(members_margins[:, j]), yy)
        return out

    p_oof_ens = sigmoid(cal_a * z_oof[cal_mask] + cal_b)
    metrics = {"oof": block(has_oof, oof[has_oof], sigmoid(stack.decision_function(design[has_oof])))}
    metrics["oof_calibrated_out_of_fold"] = {"rows": int(cal_mask.sum()), "ensemble": scores(p_oof_ens, d["y"][cal_mask]),
                                             "market": scores(d["p_market"][cal_mask], d["y"][cal_mask])}
    hold_margins, hold_p = ensemble(hold)
    metrics["holdout"] = block(hold, hold_margins, hold_p)
    per_source = {}
    for s in sorted(set(d["source"][hold])):
        msk = hold & (d["source"] == s)
        mm, pp = ensemble(msk)
        per_source[s] = block(msk, mm, pp)
    metrics["holdout_by_source"] = per_source
    log(f"holdout Brier ensemble {metrics['holdout']['ensemble']['brier']:.5f} vs market {metrics['holdout']['market']['brier']:.5f}")

    # 5. Export.
    os.makedirs(a.out_dir, exist_ok=True)
    spec = metas[0]["feature_spec"]
    version = a.model_version or time.strftime("ensemble-%Y%m%dT%H%M%SZ", time.gmtime())
    meta = {"feature_spec_hash": spec["hash"], "feature_spec_version": spec["version"], "model_version": version}
    xgb_m, hgb_m, mlp_m, txt_m = final
    models = {
        "xgboost": onnx_export.xgboost_onnx(xgb_m.model.get_booster(), used, n_features, 0.0, {**meta, "member": "xgboost"}),
        "histgb": onnx_export.histgb_onnx(hgb_m.model, used, n_features, {**meta, "member": "histgb"}),
        "mlp": onnx_export.mlp_onnx(mlp_m.prep(), mlp_m.model, n_features, {**meta, "member": "mlp"}),
        "text": onnx_export.text_onnx(txt_m.model.coef_[0], txt_m.model.intercept_[0], dims, {**meta, "member": "text"}),
        "stack": onnx_export.stack_onnx(stack.coef_[0], stack.intercept_[0], mid_index, 1e-4, cal_a, cal_b, 4, n_features, {**meta, "member": "stack"}),
    }
    files = {}
    for n, model in models.items():
        path = os.path.join(a.out_dir, f"{n}.onnx")
        onnx.save(model, path)
        files[n] = {"file": f"{n}.onnx", "sha256": sha256(path)}

    # Native predictions on a sample of holdout rows, for the ONNX-vs-native test in TypeScript.
    idx = np.flatnonzero(hold)
    rng = np.random.default_rng(SEED)
    pick = np.sort(rng.choice(idx, size=min(SAMPLE_ROWS, len(idx)), replace=False))
    pmask = np.zeros(len(d["y"]), dtype=bool)
    pmask[pick] = True
    s_margins, s_p = ensemble(pmask)
    # The MLP margin is computed by hand above; check it is sklearn's own.
    mlp_native = mlp_m.model.predict_proba((mlp_m.design(d["x"][pmask]) - mlp_m.mean) / mlp_m.scale)[:, 1]
    assert np.max(np.abs(mlp_native - sigmoid(s_margins[:, 2]))) < 1e-9
    hgb_native = hgb_m.model.predict_proba(d["x"][pmask][:, used].astype(np.float64))[:, 1]
    assert np.max(np.abs(hgb_native - sigmoid(s_margins[:, 1]))) < 1e-9
    sample = {"rows": []}
    for r, i in enumerate(pick):
        sample["rows"].append({
            "market": str(d["market"][i]), "ts": int(d["ts"][i]),
            "features": [None if np.isnan(v) else float(v) for v in d["x"][i]],
            "text_buckets": d["text"][i],
            "members": {n: float(sigmoid(s_margins[r, j])) for j, n in enumerate(MEMBER_NAMES)},
            "ensemble": float(s_p[r]),
        })
    with open(os.path.join(a.out_dir, "native-sample.json"), "w") as f:
        json.dump(sample, f)

    train_ts = d["resolution_ts"][train]
    hold_ts = d["resolution_ts"][hold]
    iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(t) / 1000))
    card = {
        "model_version": version,
        "kind": "stacked-ensemble",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "feature_spec": {"version": spec["version"], "hash": spec["hash"]},
        "features_used": [names[i] for i in used],
        "features_excluded": excluded,
        "text_hash": metas[0]["text_hash"],
        "training_data": {
            "datasets": [{"source": m["source"], "files": m["files"], "rows": m["rows"], "markets": m["markets"], "events": m["events"],
                          "holdout_cutoff": m["holdout_cutoff_iso"], "synthetic_depth": m["synthetic_depth"]} for m in metas],
            "train_resolution_range": [iso(train_ts.min()), iso(train_ts.max())],
            "holdout_resolution_range": [iso(hold_ts.min()), iso(hold_ts.max())] if len(hold_ts) else [],
            "rows": {"train": int(train.sum()), "oof": int(has_oof.sum()), "calibration": int(cal_mask.sum()), "holdout": int(hold.sum())},
        },
        "fitting": {
            "cv": "forward-chaining over time-ordered event folds (per source); fold k predicted by members fitted on folds < k",
            "members": {m.name: getattr(m, "params", {"C": getattr(m, "C", None), "dims": dims}) for m in final},
            "stack": {"kind": "logistic regression on member logits + logit(mid)", "inputs": MEMBER_NAMES + ["logit_mid"],
                      "weights": stack.coef_[0].tolist(), "intercept": float(stack.intercept_[0]), "C": STACK_C},
            "calibration": {"kind": "Platt on out-of-fold stack logits", "a": cal_a, "b": cal_b},
            "seed": SEED, "quick": bool(a.quick),
            "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "sklearn": sklearn.__version__,
                         "xgboost": xgboost.__version__, "onnx": onnx.__version__},
        },
        "metrics": metrics,
        "artifacts": files,
        "confidence": "1 - std(member probabilities) / 0.5",
    }
    with open(os.path.join(a.out_dir, "card.json"), "w") as f:
        json.dump(card, f, indent=2)
    manifest = {
        "format": "polyflow-ensemble-v1",
        "model_version": version,
        "feature_spec": {"version": spec["version"], "hash": spec["hash"]},
        "text_hash": metas[0]["text_hash"],
        "members": [{"name": n, "input": "text" if n == "text" else "features", **files[n]} for n in MEMBER_NAMES],
        "stack": files["stack"],
        "card": "card.json",
        "native_sample": "native-sample.json",
    }
    with open(os.path.join(a.out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    print(json.dumps({"model_version": version, "out_dir": a.out_dir, "holdout": metrics["holdout"]["ensemble"],
                      "holdout_market": metrics["holdout"]["market"]}))
    log("done")


if __name__ == "__main__":
    main()
