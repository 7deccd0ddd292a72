"""Does torch.compile help ResNet9 on this CPU? Model-only training and inference steps, eager vs compiled, side by side.

    python bench/compile.py [--size 32] [--bs 128] [--steps 10]
"""
import torch
from fastcore.script import call_parse
from gender_fastai.models import ResNet9
from roofline import step_ips

@call_parse
def main(size:int=32, bs:int=128, steps:int=10):
    print("| phase | precision | eager img/s | compiled img/s | ratio | compile time (first step) |\n|---|---|---|---|---|---|")
    for train in (True, False):
        for bf16 in (False, True):
            torch.manual_seed(0); m = ResNet9().to(memory_format=torch.channels_last).train(train)
            e, _ = step_ips(m, size, bs, train, bf16, steps)
            torch.manual_seed(0); m = ResNet9().to(memory_format=torch.channels_last).train(train)
            c, first = step_ips(torch.compile(m), size, bs, train, bf16, steps)
            print(f"| {'training' if train else 'inference'} | {'bf16' if bf16 else 'fp32'} | {e:.0f} | {c:.0f} | {c/e:.2f} | {first:.0f} s |", flush=True)
