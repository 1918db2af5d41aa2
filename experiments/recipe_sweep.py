#!/usr/bin/python3
"""recipe_sweep.py - replay one of train's recipes in PyTorch (exploration, not a test).

Full training runs take 20 to 75 minutes each in our engine on 2 cores, too slow to
compare recipes across several seeds. This script replays a recipe in PyTorch, on a
GPU when there is one, so that many runs can go side by side (recipe_sweep.sh), and
only what the replays favour is then run for real with bin/train. It mirrors our
engine's conventions: the architecture from our .arch grammar, glorot-uniform
weights, batch norm with Keras' momentum convention and eps 1e-3, Adam eps 1e-7,
weight decay on conv and dense weights only, the one-cycle schedule of lib/optim.c,
the augmentations of lib/augment.c applied to raw pixels before normalising, and
Keras' ReduceLROnPlateau / EarlyStopping / restore-best semantics. Random streams
differ from ours (torch's generator), so a run is a sample of the recipe, not a copy.

Usage: recipe_sweep.py NAME CONFIG_JSON LOGDIR
  DATA (environment) names the folder holding train.ts, val.ts, test.ts (each may be
  gzipped: NAME.ts.gz); ARCH_DIR (environment) the folder of .arch files [samples/].
  Writes LOGDIR/NAME.log: the config, one JSON line per epoch, then a RESULT line
  (validation [loss, accuracy] of the kept epoch; the test set only with "test": 1).
  Config keys beyond train's options: "train_limit": N trains on the first N training
  images (what more data is worth); "save_probs": 1 saves the kept model's validation
  probabilities as LOGDIR/NAME.val.npy (for ensembles); "plain_last": K trains the last K
  epochs without augmentation; "mixup": A mixes image pairs with Beta(A, A) weights.
  Every RESULT also gives the kept model's validation accuracy with its batch-norm
  statistics recomputed on the unaugmented training images ("recal_val") and with the
  mirror averaged in ("flip_val"), so that both can be judged on every run for free.
"""
import gzip, json, math, sys, time, os
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load_ts(path):
    b = (gzip.open(path + '.gz', 'rb') if os.path.exists(path + '.gz') else open(path, 'rb')).read()
    if b[:4] != b'FMTS' or b[6] != 1:
        raise SystemExit(f'{path}: not a u8 tensor stream (docs/stream-format.md)')
    dims = np.frombuffer(b[8:20], dtype='<u4')
    n = int(np.prod([d for d in dims if d]))
    rec = np.frombuffer(b[32:], dtype=np.uint8).reshape(-1, 8 + n)
    y = rec[:, 4:8].copy().view('<i4').ravel().astype(np.int64)
    x = rec[:, 8:].reshape(-1, 28, 28)
    ids = rec[:, 0:4].copy().view('<u4').ravel()
    return x, y, ids


class Arch(nn.Module):
    """Our sequential layers (lib/network.h), plus two things our engine does not have:
    'skip' ... 'add' residual blocks (the block's input is added to its output) and
    'avgpool' (a global average over H x W), to find out whether such layer types
    would pay before writing them in C (neither did: docs/experiments.md,
    "What do recipe replays in PyTorch say?")."""

    def __init__(self, ops):
        super().__init__()
        self.mods = nn.ModuleList([m for k, m in ops if k == 'layer'])
        self.kinds = [k for k, _ in ops]

    def forward(self, x):
        saved, it = [], iter(self.mods)
        for k in self.kinds:
            if k == 'skip':
                saved.append(x)
            elif k == 'add':
                x = x + saved.pop()
            else:
                x = next(it)(x)
        return x


def parse_arch(path, bn_mom_default):
    ops = []
    c, h, w = 1, 28, 28
    L = lambda m: ops.append(('layer', m))
    for line in open(path):
        t = line.split('#')[0].split()
        if not t:
            continue
        k = t[0]
        opts = dict(s.split('=') for s in t[2:] if '=' in s) if len(t) > 2 else {}
        if k == 'input':
            continue
        if k == 'conv':
            f = int(t[1]); ks = int(opts.get('k', 3)); st = int(opts.get('stride', 1))
            m = nn.Conv2d(c, f, ks, st, (ks - 1) // 2)
            nn.init.xavier_uniform_(m.weight); nn.init.zeros_(m.bias)
            L(m); c = f; h = (h + 2 * ((ks - 1) // 2) - ks) // st + 1; w = h
        elif k == 'relu':
            L(nn.ReLU())
        elif k == 'batchnorm':
            mom = float(t[1].split('=')[1]) if len(t) > 1 and t[1].startswith('momentum=') else bn_mom_default
            if c and h > 1:
                L(nn.BatchNorm2d(c, eps=1e-3, momentum=1 - mom))
            else:
                L(nn.BatchNorm1d(c, eps=1e-3, momentum=1 - mom))
        elif k == 'maxpool':
            L(nn.MaxPool2d(int(t[1]))); h //= int(t[1]); w = h
        elif k == 'dropout':
            L(nn.Dropout(float(t[1])))
        elif k == 'flatten':
            L(nn.Flatten()); c = c * h * w; h = w = 1
        elif k == 'dense':
            m = nn.Linear(c, int(t[1]))
            nn.init.xavier_uniform_(m.weight); nn.init.zeros_(m.bias)
            L(m); c = int(t[1])
        elif k == 'avgpool':  # global average: H x W x C -> C (replay only, like skip/add)
            L(nn.AdaptiveAvgPool2d(1)); L(nn.Flatten()); h = w = 1
        elif k in ('skip', 'add'):
            ops.append((k, None))
        elif k == 'softmax':
            pass
        else:
            raise SystemExit('unknown layer ' + k)
    return Arch(ops)


def augment(x, cfg, g):
    # x: B,1,28,28 raw pixels 0..255 (float)
    B = x.shape[0]
    dev = x.device
    if cfg.get('flip'):
        m = torch.rand(B, device=dev, generator=g) < 0.5
        x = torch.where(m[:, None, None, None], x.flip(3), x)
    s = cfg.get('shift', 0)
    if s:
        xp = F.pad(x, (s, s, s, s))
        dy = torch.randint(0, 2 * s + 1, (B,), device=dev, generator=g)
        dx = torch.randint(0, 2 * s + 1, (B,), device=dev, generator=g)
        ar = torch.arange(28, device=dev)
        rows = (dy[:, None] + ar[None, :])  # B,28
        cols = (dx[:, None] + ar[None, :])
        x = xp[torch.arange(B, device=dev)[:, None, None], 0, rows[:, :, None], cols[:, None, :]][:, None]
    p = cfg.get('erase', 0)
    if p:
        area = (0.02 + torch.rand(B, device=dev, generator=g) * 0.31) * 784
        ratio = torch.exp(math.log(0.3) + torch.rand(B, device=dev, generator=g) * (math.log(3.3) - math.log(0.3)))
        hh = torch.sqrt(area * ratio).round().clamp(1, 27)
        ww = torch.sqrt(area / ratio).round().clamp(1, 27)
        y0 = (torch.rand(B, device=dev, generator=g) * (28 - hh + 1)).floor()
        x0 = (torch.rand(B, device=dev, generator=g) * (28 - ww + 1)).floor()
        ar = torch.arange(28, device=dev).float()
        my = (ar[None] >= y0[:, None]) & (ar[None] < (y0 + hh)[:, None])
        mx = (ar[None] >= x0[:, None]) & (ar[None] < (x0 + ww)[:, None])
        on = (torch.rand(B, device=dev, generator=g) < p)
        mask = (my[:, :, None] & mx[:, None, :] & on[:, None, None])[:, None]
        noise = torch.rand(x.shape, device=dev, generator=g) * 255
        x = torch.where(mask, noise, x)
    return x


def main():
    name, cfg, logdir = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    torch.set_num_threads(1)
    dev = 'cuda' if torch.cuda.is_available() else 'cpu'
    torch.backends.cudnn.benchmark = True
    d = os.environ.get('DATA', 'data')
    archdir = os.environ.get('ARCH_DIR', 'samples')
    xtr, ytr, itr = load_ts(f'{d}/train.ts')
    xva, yva, iva = load_ts(f'{d}/val.ts')
    xte, yte, _ = load_ts(f'{d}/test.ts')
    if cfg.get('keras_split'):  # Keras validation_split: the last 10 % of the file's rows
        xa, ya, ia = np.concatenate([xtr, xva]), np.concatenate([ytr, yva]), np.concatenate([itr, iva])
        o = np.argsort(ia)
        xa, ya = xa[o], ya[o]
        xtr, ytr, xva, yva = xa[:54000], ya[:54000], xa[54000:], ya[54000:]
    lim = cfg.get('limit')
    if lim:
        xtr, ytr, xva, yva, xte, yte = xtr[:lim], ytr[:lim], xva[:lim // 4], yva[:lim // 4], xte[:lim // 4], yte[:lim // 4]
    train_limit = cfg.get('train_limit')  # the file's order is already mixed: 4,833-4,894 a class in the first 48,600
    if train_limit:
        xtr, ytr = xtr[:train_limit], ytr[:train_limit]
    T = lambda a: torch.tensor(np.ascontiguousarray(a), device=dev)
    xtr, ytr, xva, yva, xte, yte = T(xtr).float()[:, None], T(ytr), T(xva).float()[:, None], T(yva), T(xte).float()[:, None], T(yte)
    if cfg.get('normalise', 'standard') == 'unit':
        mean, std = 0.0, 255.0
    else:
        mean, std = xtr.mean().item(), xtr.std().item()
    seed = cfg.get('seed', 1)
    torch.manual_seed(seed)
    g = torch.Generator(device=dev); g.manual_seed(seed)
    net = parse_arch(f"{archdir}/{cfg['arch']}", cfg.get('bn_mom', 0.99)).to(dev).to(memory_format=torch.channels_last)
    decay, nodecay = [], []
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            decay.append(m.weight); nodecay.append(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nodecay += [m.weight, m.bias]
    lr = cfg.get('lr', 1e-3)
    wd = cfg.get('wd', 0.0)
    if cfg.get('opt', 'adam') == 'adamw':
        opt = torch.optim.AdamW([{'params': decay, 'weight_decay': wd}, {'params': nodecay, 'weight_decay': 0}], lr=lr, eps=1e-7)
    elif cfg.get('opt') == 'sgd':
        opt = torch.optim.SGD([{'params': decay, 'weight_decay': wd}, {'params': nodecay, 'weight_decay': 0}], lr=lr, momentum=0.9)
    else:
        opt = torch.optim.Adam(decay + nodecay, lr=lr, eps=1e-7)
    ema = None
    if cfg.get('ema'):
        ema = torch.optim.swa_utils.AveragedModel(net, avg_fn=lambda a, p, n, k=cfg['ema']: k * a + (1 - k) * p, use_buffers=True)
    E, B = cfg.get('epochs', 18), cfg.get('batch', 128)
    N = xtr.shape[0]
    spe = (N + B - 1) // B
    total = E * spe
    sched = cfg.get('schedule', 'plateau')
    smooth = cfg.get('smoothing', 0.0)
    monitor = cfg.get('monitor', 'loss')
    patience, factor, es_pat = cfg.get('patience', 3), cfg.get('factor', 0.1), cfg.get('early_stop', 4)
    plat_best, plat_wait, es_best, es_wait = math.inf, 0, math.inf, 0
    best_metric, best_state, best_ep = math.inf, None, 0
    cur_lr = lr

    def evaluate(model, x, y):
        model.eval()
        loss, correct = 0.0, 0
        with torch.no_grad():
            for i in range(0, x.shape[0], 1000):
                xb = ((x[i:i + 1000] - mean) / std).contiguous(memory_format=torch.channels_last)
                out = model(xb)
                loss += F.cross_entropy(out, y[i:i + 1000], reduction='sum').item()
                correct += (out.argmax(1) == y[i:i + 1000]).sum().item()
        return loss / x.shape[0], correct / x.shape[0]

    log = open(f'{logdir}/{name}.log', 'w')
    log.write(json.dumps(cfg) + '\n')
    step = 0
    t0 = time.time()
    for ep in range(1, E + 1):
        net.train()
        perm = torch.randperm(N, device=dev, generator=g)
        tl, tc = 0.0, 0
        for i in range(spe):
            idx = perm[i * B:(i + 1) * B]
            plain = ep > E - cfg.get('plain_last', 0)
            xb = xtr[idx] if plain else augment(xtr[idx], cfg, g)
            xb = ((xb - mean) / std).contiguous(memory_format=torch.channels_last)
            yb, mix = ytr[idx], cfg.get('mixup', 0)
            if mix and not plain:
                lam = float(np.random.default_rng(seed * 1000003 + step).beta(mix, mix))
                pm = torch.randperm(xb.shape[0], device=dev, generator=g)
                xb = lam * xb + (1 - lam) * xb[pm]
            if sched == 'onecycle':
                up = total * 3 // 10
                if step < up:
                    cur_lr = lr / 25 + (lr - lr / 25) * step / max(up, 1)
                else:
                    x = min((step - up) / max(total - up, 1), 1.0)
                    lo = lr * 1e-4
                    cur_lr = lo + (lr - lo) * 0.5 * (1 + math.cos(math.pi * x))
                for pg in opt.param_groups:
                    pg['lr'] = cur_lr
            out = net(xb)
            loss = F.cross_entropy(out, yb, label_smoothing=smooth)
            if mix and not plain:
                loss = lam * loss + (1 - lam) * F.cross_entropy(out, yb[pm], label_smoothing=smooth)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if ema is not None:
                ema.update_parameters(net)
            step += 1
            if i % 50 == 0:
                tl += loss.item()
        vl, va = evaluate(net, xva, yva)
        line = {'ep': ep, 'lr': cur_lr, 'val_loss': round(vl, 5), 'val_acc': round(va, 5), 't': round(time.time() - t0, 1)}
        if ema is not None:
            el, ea = evaluate(ema.module, xva, yva)
            line.update(ema_val_loss=round(el, 5), ema_val_acc=round(ea, 5))
        m = vl if monitor == 'loss' else -va
        if m < best_metric:
            best_metric, best_ep = m, ep
            best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
        stop = False
        if sched == 'plateau':
            if m < plat_best - 1e-4:
                plat_best, plat_wait = m, 0
            else:
                plat_wait += 1
                if plat_wait >= patience:
                    cur_lr = max(cur_lr * factor, 1e-8); plat_wait = 0
                    for pg in opt.param_groups:
                        pg['lr'] = cur_lr
        if es_pat:
            if m < es_best:
                es_best, es_wait = m, 0
            else:
                es_wait += 1
                if es_wait >= es_pat:
                    stop = True
        log.write(json.dumps(line) + '\n'); log.flush()
        if stop:
            break
    last_val = evaluate(net, xva, yva)
    last_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    net.load_state_dict(best_state)
    if cfg.get('save_probs'):  # the kept model's validation probabilities, for ensembles
        net.eval()
        with torch.no_grad():
            pr = torch.cat([F.softmax(net(((xva[i:i + 1000] - mean) / std).contiguous(memory_format=torch.channels_last)), 1)
                            for i in range(0, xva.shape[0], 1000)])
        np.save(f'{logdir}/{name}.val.npy', pr.cpu().numpy())
    res = {'name': name, 'best_ep': best_ep, 'epochs_run': ep, 'val': evaluate(net, xva, yva), 'last_val': last_val,
           'seconds': round(time.time() - t0, 1)}
    net.eval()
    with torch.no_grad():  # the mirror averaged in, as predict --tta=flip
        correct = 0
        for i in range(0, xva.shape[0], 1000):
            xb = ((xva[i:i + 1000] - mean) / std).contiguous(memory_format=torch.channels_last)
            pr = F.softmax(net(xb), 1) + F.softmax(net(xb.flip(3)), 1)
            correct += (pr.argmax(1) == yva[i:i + 1000]).sum().item()
        res['flip_val'] = correct / xva.shape[0]
    kept = {k: v.detach().clone() for k, v in net.state_dict().items()}
    for m in net.modules():  # batch-norm statistics from the plain training images
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.reset_running_stats(); m.momentum = None
    net.train()
    for m in net.modules():
        if isinstance(m, nn.Dropout):
            m.eval()
    with torch.no_grad():
        for i in range(0, N, 500):
            net(((xtr[i:i + 500] - mean) / std).contiguous(memory_format=torch.channels_last))
    res['recal_val'] = evaluate(net, xva, yva)
    net.load_state_dict(kept)
    if cfg.get('test'):
        res['test'] = evaluate(net, xte, yte)
        net.load_state_dict(last_state)
        res['last_test'] = evaluate(net, xte, yte)
    if ema is not None:
        res['ema_val'] = evaluate(ema.module, xva, yva)
        if cfg.get('test'):
            res['ema_test'] = evaluate(ema.module, xte, yte)
    log.write('RESULT ' + json.dumps(res) + '\n'); log.close()
    print('RESULT', json.dumps(res), flush=True)


if __name__ == '__main__':
    main()
