"""Roofline and framework overhead of ResNet9 training on this CPU.

    python bench/roofline.py [--size 32] [--width 16] [--bs 128] [--batches 30]

1. Peak: the best of a few large matmuls (4096^2) in fp32 and bf16, in FLOP/s.
2. ResNet9's FLOPs per image (torch.utils.flop_counter; a training step counts forward + backward, about 3x forward).
3. Model-only throughput (random batches, channels_last): training steps and inference, fp32 and bf16 autocast, and each as a
   fraction of the matching peak.
4. Framework overhead: fastai's training loop (the library's learner: fused AdamW, gradient clipping, recorder, metrics)
   against a plain PyTorch loop of the same model, optimiser, clipping and batches (the same DataLoader, real
   gender-sample images), side by side: images/s of each and the ratio.
"""
import time, torch, torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode
from fastcore.script import call_parse
from fastai.callback.all import ShortEpochCallback
from fastai.callback.core import Callback, CancelValidException
from fastai.torch_core import set_seed
from gender_fastai.core import sample_data
from gender_fastai.data import load_items
from gender_fastai.models import ResNet9
from gender_fastai.learner import gender_learner, arch_dls

class NoValid(Callback):
    "Skip validation: the plain loop does not validate either"
    def before_validate(self): raise CancelValidException

def peak(dtype, n=4096, reps=5):
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    a @ b; best = 0
    for _ in range(reps):
        t = time.perf_counter(); a @ b; best = max(best, 2 * n ** 3 / (time.perf_counter() - t))
    return best

def flops(model, x, train):
    with FlopCounterMode(display=False) as fc:
        if train: model(x).sum().backward()
        else:
            with torch.no_grad(): model(x)
    return fc.get_total_flops() / len(x)

def step_ips(model, size, bs, train, bf16=False, steps=8):
    "`(images/s, seconds of the first step)` of training (or inference) steps of `model` on random channels_last batches"
    x = torch.randn(bs, 3, size, size).to(memory_format=torch.channels_last); y = torch.randint(0, 2, (bs,))
    opt = torch.optim.AdamW(model.parameters(), 1e-3, fused=True)
    def step():
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            if not train:
                with torch.inference_mode(): return model(x)
            loss = nn.functional.cross_entropy(model(x).float(), y)
        opt.zero_grad(); loss.backward(); opt.step()
    t = time.perf_counter(); step(); first = time.perf_counter() - t  # includes compilation for a compiled model
    step(); t = time.perf_counter()
    for _ in range(steps): step()
    return bs * steps / (time.perf_counter() - t), first

def model_ips(model, size, bs, train, bf16, steps=8):
    return step_ips(model.to(memory_format=torch.channels_last).train(train), size, bs, train, bf16, steps)[0]

@call_parse
def main(size:int=32, width:int=16, bs:int=128, batches:int=30):
    torch.manual_seed(0)
    p32, p16 = peak(torch.float32), peak(torch.bfloat16)
    m = ResNet9(width=width); x = torch.randn(bs, 3, size, size)
    f_inf, f_train = flops(m, x, False), flops(m, x, True)
    print(f"threads {torch.get_num_threads()}; peak matmul fp32 {p32/1e9:.1f} GFLOP/s, bf16 {p16/1e9:.1f} GFLOP/s")
    print(f"ResNet9 width {width} at {size} px: {f_inf/1e6:.1f} MFLOP per image forward, {f_train/1e6:.1f} MFLOP per training image\n")
    print("| phase | precision | images/s | GFLOP/s | fraction of peak |\n|---|---|---|---|---|")
    for train in (True, False):
        for bf16 in (False, True):
            ips = model_ips(ResNet9(width=width), size, bs, train, bf16)
            f = (f_train if train else f_inf) * ips
            print(f"| {'training' if train else 'inference'} | {'bf16 autocast' if bf16 else 'fp32'} | {ips:.0f} | {f/1e9:.1f} | {f/(p16 if bf16 else p32):.2f} |", flush=True)
    # framework overhead, same data and batches
    items = load_items(sample_data('gender-sample'))
    set_seed(0, reproducible=True)
    dls = arch_dls(items, 'resnet9', size=size, bs=bs)
    n = len(dls.train)
    def fastai_ips():
        learn = gender_learner(dls, 'resnet9', width=width)
        with learn.no_bar(), learn.no_logging():
            learn.fit(1, 1e-3, cbs=[ShortEpochCallback(pct=2 / n), NoValid()])  # warm-up
            t = time.perf_counter(); learn.fit(1, 1e-3, cbs=[ShortEpochCallback(pct=batches / n), NoValid()])
        return batches * bs / (time.perf_counter() - t)
    def plain_ips():
        model = ResNet9(width=width).to(memory_format=torch.channels_last).train()
        opt = torch.optim.AdamW(model.parameters(), 1e-3, weight_decay=1e-4, fused=True)
        for xb, yb in dls.train: break  # warm-up, as the fastai side's first fit
        t = time.perf_counter(); it = iter(dls.train)  # both sides include starting the DataLoader
        for i in range(batches):
            xb, yb = next(it)
            xb, yb = xb.as_subclass(torch.Tensor), yb.as_subclass(torch.Tensor)  # fastai types off, as a plain loop has them
            loss = nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad(); loss.backward(); nn.utils.clip_grad_norm_(model.parameters(), 0.1); opt.step()
        return batches * bs / (time.perf_counter() - t)
    rows = [(fastai_ips(), plain_ips()) for _ in range(2)]  # interleaved, twice
    fa, pl = max(r[0] for r in rows), max(r[1] for r in rows)
    print(f"\n| loop ({batches} batches of {bs} real images, decoding included) | images/s |\n|---|---|")
    print(f"| fastai (the library's learner) | {fa:.0f} |\n| plain PyTorch | {pl:.0f} |\n| ratio fastai / plain | {fa/pl:.2f} |")
