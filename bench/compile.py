"""Does torch.compile help ResNet9 on this CPU? Model-only training and inference steps, eager vs compiled, side by side.

    python bench/compile.py [--size 32] [--bs 128] [--steps 10]
"""
import time, torch, torch.nn as nn
from fastcore.script import call_parse
from gender_fastai.models import ResNet9

def ips(model, size, bs, steps, train, bf16=False):
    x = torch.randn(bs, 3, size, size).to(memory_format=torch.channels_last); y = torch.randint(0, 2, (bs,))
    opt = torch.optim.AdamW(model.parameters(), 1e-3, fused=True)
    def step():
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            if not train:
                with torch.inference_mode(): return model(x)
            loss = nn.functional.cross_entropy(model(x).float(), y)
        opt.zero_grad(); loss.backward(); opt.step()
    t = time.perf_counter(); step(); first = time.perf_counter() - t  # includes compilation
    step(); t = time.perf_counter()
    for _ in range(steps): step()
    return bs * steps / (time.perf_counter() - t), first

@call_parse
def main(size:int=32, bs:int=128, steps:int=10):
    print("| phase | precision | eager img/s | compiled img/s | ratio | compile time (first step) |\n|---|---|---|---|---|---|")
    for train in (True, False):
        for bf16 in (False, True):
            torch.manual_seed(0); m = ResNet9().to(memory_format=torch.channels_last).train(train)
            e, _ = ips(m, size, bs, steps, train, bf16)
            torch.manual_seed(0); m = ResNet9().to(memory_format=torch.channels_last).train(train)
            c, first = ips(torch.compile(m), size, bs, steps, train, bf16)
            print(f"| {'training' if train else 'inference'} | {'bf16' if bf16 else 'fp32'} | {e:.0f} | {c:.0f} | {c/e:.2f} | {first:.0f} s |", flush=True)
