#!/usr/bin/python3
"""torch_bench.py - PyTorch CPU throughput on one of our .arch networks, for `make bench`.

  torch_bench.py train   ARCH STREAM [--images N] [--batch 64] [--threads 2]
  torch_bench.py predict ARCH STREAM [--batch 256] [--threads 2]

Builds the network of ARCH (parsed as tests/reference/torch_check.py does) as an
nn.Sequential in NCHW (Conv2d 'same', BatchNorm2d with Keras' eps and momentum,
MaxPool2d, Dropout, Linear), reads the images of a tensor stream (format:
docs/stream-format.md), and prints one line "images_per_s X".
train: Adam lr 1e-3, cross-entropy, one pass over the first N images in shuffled
batches, as `train` runs an epoch; one warm-up batch first is not timed.
predict: eval mode, no_grad, every image of STREAM in batches.
"""
import argparse
import os
import struct
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
from torch_check import parse_arch  # noqa: E402


def read_stream(path, limit=None):
    with open(path, "rb") as f:
        head = f.read(32)
        if len(head) != 32 or head[:4] != b"FMTS":
            sys.exit(f"torch_bench: {path}: not a tensor stream")
        dtype, rank = head[6], head[7]
        dims = [d for d in struct.unpack("<3I", head[8:20])[:rank]]
        if dtype != 1:
            sys.exit(f"torch_bench: {path}: expected u8 images")
        payload = int(np.prod(dims))
        rec = 8 + payload
        raw = np.frombuffer(f.read() if limit is None else f.read(rec * limit), dtype=np.uint8)
    n = len(raw) // rec
    recs = raw[:n * rec].reshape(n, rec)
    labels = recs[:, 4:8].copy().view("<i4").ravel().astype(np.int64)
    h, w, c = (dims + [1, 1])[:3]
    images = recs[:, 8:].reshape(n, h, w, c)
    return images, labels


def build(arch_text):
    (h, w, c), layers = parse_arch(arch_text)
    mods = []
    flat = False  # after flatten, activations are (B, C): batch norm is BatchNorm1d there
    for L in layers:
        k = L["kind"]
        flat = flat or k == "flatten"
        if k == "conv":
            mods.append(nn.Conv2d(L["ic"], L["cout"], L["k"], stride=L["s"], padding=L["p"]))
        elif k == "dense":
            mods.append(nn.Linear(L["ih"] * L["iw"] * L["ic"], L["nb"]))
        elif k == "relu":
            mods.append(nn.ReLU(inplace=True))
        elif k == "batchnorm":
            bn = nn.BatchNorm1d if flat else nn.BatchNorm2d
            mods.append(bn(L["ic"], eps=L["eps"], momentum=1 - L["momentum"]))
        elif k == "maxpool":
            mods.append(nn.MaxPool2d(L["z"]))
        elif k == "dropout":
            mods.append(nn.Dropout(L["p"]))
        elif k == "flatten":
            mods.append(nn.Flatten())
        # softmax: folded into the loss (training) or skipped (throughput only)
    return nn.Sequential(*mods)


def to_input(images):
    x = torch.from_numpy(np.ascontiguousarray(images)).float().permute(0, 3, 1, 2).contiguous()
    return x.div_(255.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("train", "predict"))
    ap.add_argument("arch")
    ap.add_argument("stream")
    ap.add_argument("--images", type=int, default=None)
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = build(open(a.arch).read())
    images, labels = read_stream(a.stream, a.images)
    n = len(images)
    if a.mode == "train":
        bs = a.batch or 64
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()
        model.train()

        def step(idx):
            x, y = to_input(images[idx]), torch.from_numpy(labels[idx])
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()

        step(np.arange(min(bs, n)))  # warm-up, not timed
        order = np.random.default_rng(1).permutation(n)
        t0 = time.perf_counter()
        for b in range(0, n, bs):
            step(order[b:b + bs])
        t = time.perf_counter() - t0
    else:
        bs = a.batch or 256
        model.eval()
        t0 = time.perf_counter()
        with torch.no_grad():
            for b in range(0, n, bs):
                torch.softmax(model(to_input(images[b:b + bs])), dim=1)
        t = time.perf_counter() - t0
    print(f"images_per_s {n / t:.1f}")
    print(f"images {n} seconds {t:.3f} threads {a.threads} batch {bs}", file=sys.stderr)


if __name__ == "__main__":
    main()
