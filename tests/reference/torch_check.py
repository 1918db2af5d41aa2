#!/usr/bin/python3
"""torch_check.py - the PyTorch reference check (in llm.c's manner).

Reads our model file (format: lib/model_file.h) and what tests/tools/nn_reference
computed with the C engine on a few images, builds the same network in PyTorch
from the same weights, and compares:
  - inference probabilities (running statistics, no dropout): max abs diff;
  - training-mode probabilities, the mean cross-entropy loss, and the gradient of
    every parameter (batch statistics; dropout reproduced exactly from the C
    engine's counter-based mask, lib/rng.h + lib/layer_dropout.c);
  - the batch-norm running statistics after the training pass (Keras' convention:
    new = momentum * old + (1 - momentum) * batch stat, with the biased variance).
Torch runs in float64, so the differences measure the C engine's float32 error.

Layout: ours is NHWC with conv weights (Cout, K, K, Cin) and dense weights
(Dout, Din) over the NHWC-flattened input; torch is NCHW with conv weights
(Cout, Cin, K, K), so conv weights are permuted and activations are permuted
back to NHWC before flatten (and for dropout masks).

Usage: torch_check.py MODEL NNREF_OUT   (exit 0 when everything agrees, 1 if not)
"""
import struct
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F

TOL_PROB = 1e-5   # max abs difference of probabilities (float32 softmax: ~1e-7 measured)
TOL_LOSS = 1e-4   # relative difference of the loss
TOL_GRAD = 1e-3   # per parameter tensor: max |g_c - g_t| / max |g_t|
TOL_STAT = 1e-4   # running statistics: max abs difference relative to max abs value
TOL_ACT = 1e-4    # activations: per layer, max abs difference relative to the layer's max abs value


class Reader:
    def __init__(self, data, what):
        self.d, self.o, self.what = data, 0, what

    def take(self, n):
        if self.o + n > len(self.d):
            sys.exit(f"torch_check: {self.what}: truncated at offset {self.o}")
        b = self.d[self.o:self.o + n]
        self.o += n
        return b

    def u16(self):
        return struct.unpack("<H", self.take(2))[0]

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def u64(self):
        return struct.unpack("<Q", self.take(8))[0]

    def f64(self):
        return struct.unpack("<d", self.take(8))[0]

    def f32s(self, n):
        return np.frombuffer(self.take(4 * n), dtype="<f4").astype(np.float64)

    def i32s(self, n):
        return np.frombuffer(self.take(4 * n), dtype="<i4").astype(np.int64)

    def text(self):
        return self.take(self.u32()).decode()


def load_model(path):
    data = open(path, "rb").read()
    if data[:8] != b"FMMODEL\0":
        sys.exit(f"torch_check: {path}: not a model file")
    stored = struct.unpack("<I", data[-4:])[0]
    if zlib.crc32(data[:-4]) & 0xFFFFFFFF != stored:
        sys.exit(f"torch_check: {path}: CRC mismatch")
    r = Reader(data[:-4], path)
    r.take(8)
    version = r.u32()
    r.u32()  # flags: a training state may follow the meta text; not needed here
    if version != 1:
        sys.exit(f"torch_check: {path}: model format version {version}, this script reads 1")
    arch = r.text()
    classes = [r.take(r.u16()).decode() for _ in range(r.u32())]
    mean, std = r.f32s(2)
    params = r.f32s(r.u64())
    buffers = r.f32s(r.u64())
    return dict(arch=arch, classes=classes, mean=mean, std=std, params=params, buffers=buffers)


def parse_arch(text):
    """The layers as lib/network.c builds them: one per line after 'input', in order
    (the index matters: it keys each dropout mask). Shapes are (h, w, c)."""
    layers, shape = [], None
    for line in text.splitlines():
        tok = line.split("#")[0].split()
        if not tok:
            continue
        if shape is None:
            assert tok[0] == "input"
            shape = tuple(int(t) for t in tok[1:4])
            in_shape = shape
            continue
        kind, opts = tok[0], dict(t.split("=", 1) for t in tok[1:] if "=" in t)
        h, w, c = shape
        L = dict(kind=kind, ih=h, iw=w, ic=c, nw=0, nb=0)
        if kind == "conv":
            k, s = int(opts.get("k", 3)), int(opts.get("stride", 1))
            pad = opts.get("pad", "same")
            p = (k - 1) // 2 if pad == "same" else 0 if pad == "valid" else int(pad)
            cout = int(tok[1])
            L.update(k=k, s=s, p=p, cout=cout, nw=cout * k * k * c, nb=cout)
            shape = ((h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1, cout)
        elif kind == "dense":
            L.update(nw=int(tok[1]) * h * w * c, nb=int(tok[1]))
            shape = (1, 1, int(tok[1]))
        elif kind == "batchnorm":
            L.update(momentum=float(opts.get("momentum", 0.99)), eps=float(opts.get("eps", 1e-3)), nw=c, nb=c)
        elif kind == "maxpool":
            L["z"] = int(tok[1]) if len(tok) > 1 else 2
            shape = (h // L["z"], w // L["z"], c)
        elif kind == "dropout":
            L["p"] = float(tok[1])
        elif kind == "flatten":
            shape = (1, 1, h * w * c)
        elif kind not in ("relu", "softmax"):
            sys.exit(f"torch_check: unknown layer {kind}")
        L["out"] = shape
        layers.append(L)
    return in_shape, layers


# ---- the C engine's dropout mask (lib/rng.h rng_hash, lib/layer_dropout.c) ----
M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def mix(z):
    z = np.asarray(z, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def rng_hash(key, i):
    with np.errstate(over="ignore"):
        return mix(np.uint64(key) ^ mix(np.asarray(i, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)))


def dropout_keep(key, layer_index, n, p):
    k = int(rng_hash(np.uint64(key), np.uint64(layer_index)))
    u = (rng_hash(k, np.arange(n, dtype=np.uint64)) >> np.uint64(40)).astype(np.uint32)
    cut = np.uint32(int(np.float32(p) * np.float32(16777216.0)))
    return u >= cut


def to_nhwc(x):
    return x.permute(0, 2, 3, 1) if x.dim() == 4 else x


def pool_choice(c_in, z):
    """Which of the z*z inputs of each window the C engine's activations make the
    max (first one on ties, as lib/layer_maxpool.c): (B,Ho,Wo,C) indices dy*z+dx."""
    b, h, w, c = c_in.shape
    ho, wo = h // z, w // z
    win = c_in[:, :ho * z, :wo * z, :].reshape(b, ho, z, wo, z, c).transpose(0, 1, 3, 5, 2, 4)
    return win.reshape(b, ho, wo, c, z * z).argmax(axis=-1)


def forward(layers, params, buffers, x_nhwc, training, key, stats_out=None, c_acts=None, acts_out=None):
    """x_nhwc (B,H,W,C) normalised. Returns (logits, probs); params is a list of
    (weight, bias) torch tensors per layer in torch layout.
    c_acts: the C engine's activations (NHWC numpy, per layer): when given, each
    ReLU's gate and each max pool's choice are taken from them, so that values a
    rounding error away from a tie (a pre-activation of -1e-6 that float32 makes
    +1e-6) route gradients the same way in both; the values stay torch's own.
    acts_out: receives each layer's output, NHWC, as numpy."""
    x = x_nhwc.permute(0, 3, 1, 2)  # NCHW
    B = x.shape[0]
    logits = None
    for i, L in enumerate(layers):
        wt, bs = params[i]
        kind = L["kind"]
        if kind == "conv":
            x = F.conv2d(x, wt, bs, stride=L["s"], padding=L["p"])
        elif kind == "dense":
            x = F.linear(x, wt, bs)
        elif kind == "relu":
            if c_acts is None:
                x = F.relu(x)
            else:
                gate = torch.from_numpy((c_acts[i] > 0).astype(np.float64))
                x = x * (gate.permute(0, 3, 1, 2) if x.dim() == 4 else gate.reshape(x.shape))
        elif kind == "flatten":
            x = x.permute(0, 2, 3, 1).reshape(B, -1)  # NHWC order, as our dense weights expect
        elif kind == "maxpool":
            if c_acts is None:
                x = F.max_pool2d(x, L["z"])
            else:
                z, (ho, wo, c) = L["z"], L["out"]
                idx = torch.from_numpy(pool_choice(c_acts[i - 1] if i else None, z))
                win = to_nhwc(x)[:, :ho * z, :wo * z, :].reshape(B, ho, z, wo, z, c).permute(0, 1, 3, 5, 2, 4)
                x = win.reshape(B, ho, wo, c, z * z).gather(-1, idx.unsqueeze(-1)).squeeze(-1).permute(0, 3, 1, 2)
        elif kind == "batchnorm":
            rm, rv = buffers[i]
            if training:
                if stats_out is not None:
                    m = x.mean(dim=(0, 2, 3))
                    v = x.var(dim=(0, 2, 3), unbiased=False)
                    mo = L["momentum"]
                    stats_out[i] = (mo * rm + (1 - mo) * m.detach(), mo * rv + (1 - mo) * v.detach())
                x = F.batch_norm(x, None, None, wt, bs, training=True, eps=L["eps"])
            else:
                x = F.batch_norm(x, rm, rv, wt, bs, training=False, eps=L["eps"])
        elif kind == "dropout":
            if training:
                nhwc = to_nhwc(x)
                keep = dropout_keep(key, i, nhwc.numel(), L["p"]).reshape(tuple(nhwc.shape))
                scale = 1.0 / float(np.float32(1.0) - np.float32(L["p"]))
                mask = torch.from_numpy(keep.astype(np.float64) * scale)
                if x.dim() == 4:
                    mask = mask.permute(0, 3, 1, 2)
                x = x * mask
        elif kind == "softmax":
            logits = x
            x = F.softmax(x, dim=1)
        if acts_out is not None:
            acts_out.append(to_nhwc(x).detach().numpy().reshape(B, -1))
    return logits, x


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: torch_check.py MODEL NNREF_OUT")
    torch.set_num_threads(1)
    model = load_model(sys.argv[1])
    (H, W, C), layers = parse_arch(model["arch"])

    r = Reader(open(sys.argv[2], "rb").read(), sys.argv[2])
    if r.take(8) != b"NNREF01\0":
        sys.exit(f"torch_check: {sys.argv[2]}: not an nn_reference output")
    B, h, w, c, K, threads = (r.u32() for _ in range(6))
    key, nparams, nbuffers = r.u64(), r.u64(), r.u64()
    loss_c = r.f64()
    x_raw = r.f32s(B * h * w * c).reshape(B, h, w, c)
    labels = r.i32s(B)
    p_infer_c = r.f32s(B * K).reshape(B, K)
    p_train_c = r.f32s(B * K).reshape(B, K)
    grad_c = r.f32s(nparams)
    buf_before = r.f32s(nbuffers)
    buf_after_c = r.f32s(nbuffers)
    if r.u32() != len(layers):
        sys.exit("torch_check: the dump's layer count is not the model's")
    c_acts = []
    for L in layers:
        el = r.u32()
        c_acts.append(r.f32s(B * el).reshape((B,) + L["out"]))
    if (h, w, c) != (H, W, C) or nparams != len(model["params"]) or nbuffers != len(model["buffers"]):
        sys.exit("torch_check: the dump does not match the model")
    if np.abs(buf_before - model["buffers"]).max() != 0:
        sys.exit("torch_check: the dump's running statistics are not the model's")

    # parameters in torch layout, as leaves that collect gradients
    P = model["params"]
    off, boff, params, buffers, views = 0, 0, [], [], []
    for L in layers:
        wt = bs = None
        if L["nw"]:
            wa = P[off:off + L["nw"]]
            ba = P[off + L["nw"]:off + L["nw"] + L["nb"]]
            if L["kind"] == "conv":
                wa = wa.reshape(L["cout"], L["k"], L["k"], L["ic"]).transpose(0, 3, 1, 2)
            elif L["kind"] == "dense":
                wa = wa.reshape(L["nb"], -1)
            wt = torch.tensor(np.ascontiguousarray(wa), dtype=torch.float64, requires_grad=True)
            bs = torch.tensor(ba, dtype=torch.float64, requires_grad=True)
            views.append((len(params), L, off, wt, bs))
            off += L["nw"] + L["nb"]
        params.append((wt, bs))
        if L["kind"] == "batchnorm":
            cc = L["ic"]
            buffers.append((torch.tensor(buf_before[boff:boff + cc]), torch.tensor(buf_before[boff + cc:boff + 2 * cc])))
            boff += 2 * cc
        else:
            buffers.append(None)
    assert off == nparams and boff == nbuffers

    x = torch.tensor((x_raw - float(model["mean"])) / float(model["std"]), dtype=torch.float64)
    fails = []

    def report(name, value, tol):
        ok = value < tol
        print(f"{'ok ' if ok else 'BAD'} {name:<34} {value:.3g} (tolerance {tol:g})")
        if not ok:
            fails.append(name)

    with torch.no_grad():
        _, p_infer_t = forward(layers, params, buffers, x, False, key)
    report("inference probabilities max|diff|", float(np.abs(p_infer_t.numpy() - p_infer_c).max()), TOL_PROB)

    # training pass, first with torch's own decisions: activations layer by layer
    with torch.no_grad():
        own = []
        forward(layers, params, buffers, x, True, key, acts_out=own)
    worst, where, flips = 0.0, "", 0
    for i, L in enumerate(layers):
        c = c_acts[i].reshape(B, -1)
        # a ReLU after a conv or dense layer is fused into it: C keeps only the ReLU's output
        t = own[i + 1] if L["kind"] in ("conv", "dense") and layers[i + 1]["kind"] == "relu" else own[i]
        rel = float(np.abs(c - t).max() / max(np.abs(t).max(), 1e-12))
        if rel > worst:
            worst, where = rel, f"{L['kind']}#{i}"
        if L["kind"] == "relu":
            flips += int(((c > 0) != (own[i] > 0)).sum())
    report(f"activations max rel diff ({where})", worst, TOL_ACT)
    print(f"    ReLU gates that differ (values a rounding error from 0): {flips}; "
          "the gradients below use the C engine's gates and pool choices")

    stats = {}
    logits, p_train_t = forward(layers, params, buffers, x, True, key, stats, c_acts=c_acts)
    loss_t = F.cross_entropy(logits, torch.tensor(labels))
    loss_t.backward()
    report("training probabilities max|diff|", float(np.abs(p_train_t.detach().numpy() - p_train_c).max()), TOL_PROB)
    report("loss rel diff", abs(loss_c - loss_t.item()) / abs(loss_t.item()), TOL_LOSS)
    print(f"    loss C {loss_c:.8f} torch {loss_t.item():.8f}")

    worst = 0.0
    for li, L, o, wt, bs in views:
        gw = wt.grad.numpy()
        if L["kind"] == "conv":
            gw = gw.transpose(0, 2, 3, 1)  # back to (Cout, K, K, Cin)
        for part, gt, a, n in (("w", gw.ravel(), o, L["nw"]), ("b", bs.grad.numpy(), o + L["nw"], L["nb"])):
            gc = grad_c[a:a + n]
            scale = max(np.abs(gt).max(), 1e-12)
            rel = float(np.abs(gc - gt).max() / scale)
            worst = max(worst, rel)
            if L["kind"] == "batchnorm":
                part = "gamma" if part == "w" else "beta"
            name = f"grad {L['kind']}#{li}.{part} ({n})"
            report(name, rel, TOL_GRAD)
    print(f"    worst gradient rel diff {worst:.3g} over {len(views) * 2} tensors, {nparams} parameters")

    boff = 0
    for i, L in enumerate(layers):
        if L["kind"] != "batchnorm":
            continue
        cc = L["ic"]
        m_t, v_t = stats[i]
        for nm, t, a in (("mean", m_t, boff), ("var", v_t, boff + cc)):
            cv = buf_after_c[a:a + cc]
            rel = float(np.abs(cv - t.numpy()).max() / max(np.abs(t.numpy()).max(), 1e-12))
            report(f"running {nm} batchnorm#{i}", rel, TOL_STAT)
        boff += 2 * cc

    print(f"torch_check: {B} images, {threads} C threads, {nparams} parameters: "
          + ("C and torch agree" if not fails else f"{len(fails)} DISAGREE: " + ", ".join(fails)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
