"""The ensemble's members: fit on (X float32 [n, 34], text buckets, y) and predict P(y=1)."""

import numpy as np
import scipy.sparse as sp
import xgboost as xgb
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

MID_CLIP = 1e-4
LOGIT_CLIP = 1e-6


def logit(p):
    p = np.clip(np.asarray(p, dtype=np.float64), LOGIT_CLIP, 1 - LOGIT_CLIP)
    return np.log(p / (1 - p))


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class XgbMember:
    name = "xgboost"

    def __init__(self, used, seed, quick=False):
        self.used = used
        self.params = dict(n_estimators=60 if quick else 300, max_depth=4, learning_rate=0.05, subsample=0.8,
                           colsample_bytree=0.8, min_child_weight=5, reg_lambda=1.0, base_score=0.5,
                           tree_method="hist", random_state=seed, n_jobs=2)

    def fit(self, x, text, y):
        self.model = xgb.XGBClassifier(**self.params)
        self.model.fit(x[:, self.used].astype(np.float32), y)
        return self

    def margin(self, x, text):
        return self.model.get_booster().predict(xgb.DMatrix(x[:, self.used].astype(np.float32)), output_margin=True).astype(np.float64)


class HistGbMember:
    name = "histgb"

    def __init__(self, used, seed, quick=False):
        self.used = used
        self.params = dict(max_iter=60 if quick else 300, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40,
                           l2_regularization=1.0, early_stopping=False, random_state=seed)

    def fit(self, x, text, y):
        self.model = HistGradientBoostingClassifier(**self.params).fit(x[:, self.used].astype(np.float64), y)
        return self

    def margin(self, x, text):
        return self.model.decision_function(x[:, self.used].astype(np.float64))


class MlpMember:
    name = "mlp"

    def __init__(self, used, mid_index, seed, quick=False):
        self.used = used
        self.mid_pos = used.index(mid_index)
        self.params = dict(hidden_layer_sizes=(32, 16), activation="relu", alpha=1e-3, learning_rate_init=1e-3,
                           max_iter=60 if quick else 200, early_stopping=False, random_state=seed, tol=1e-6)

    def design(self, x):
        sub = x[:, self.used].astype(np.float32).astype(np.float64)
        nan = np.isnan(sub)
        sub[nan] = np.broadcast_to(self.medians, sub.shape)[nan]
        mid = np.clip(sub[:, self.mid_pos], MID_CLIP, 1 - MID_CLIP)
        return np.column_stack([sub, np.log(mid / (1 - mid))])

    def fit(self, x, text, y):
        sub = x[:, self.used].astype(np.float64)
        med = np.nanmedian(sub, axis=0)
        self.medians = np.where(np.isnan(med), 0.0, med).astype(np.float32).astype(np.float64)
        d = self.design(x)
        self.mean = d.mean(axis=0).astype(np.float32).astype(np.float64)
        sd = d.std(axis=0)
        self.scale = np.where(sd > 1e-9, sd, 1.0).astype(np.float32).astype(np.float64)
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.model = MLPClassifier(**self.params).fit((d - self.mean) / self.scale, y)
        return self

    def margin(self, x, text):
        h = (self.design(x) - self.mean) / self.scale
        for i, (w, b) in enumerate(zip(self.model.coefs_, self.model.intercepts_)):
            h = h @ w + b
            if i < len(self.model.coefs_) - 1:
                h = np.maximum(h, 0)
        return h[:, 0]

    def prep(self):
        return dict(used=self.used, medians=self.medians, mid_pos=self.mid_pos, clip=MID_CLIP, mean=self.mean, scale=self.scale)


def text_matrix(buckets, dims):
    rows, cols = [], []
    for i, b in enumerate(buckets):
        rows.extend([i] * len(b))
        cols.extend(b)
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(buckets), dims))


class TextMember:
    """Hashed question n-grams (computed in TypeScript, models/text-hash.ts) -> L2 logistic."""

    name = "text"

    def __init__(self, dims, C=0.05):
        self.dims = dims
        self.C = C

    def fit(self, x, text, y):
        self.model = LogisticRegression(C=self.C, solver="liblinear", max_iter=1000)
        self.model.fit(text_matrix(text, self.dims), y)
        return self

    def margin(self, x, text):
        return text_matrix(text, self.dims) @ self.model.coef_[0] + self.model.intercept_[0]
