"""Side by side on the CPU: ResNet9 training and inference steps in float32 vs bfloat16 autocast, contiguous vs channels_last.

    python bench/cpu_precision.py [--size 32] [--width 16] [--bs 128] [--rounds 3]

Synthetic batches (the model's speed only, no data loading); the settings are interleaved round by round and the best
round of each is kept, so noise on a shared machine hits them alike. Prints images/s and the ratio to fp32 contiguous.
This measures speed only: whether bf16 reaches the same accuracy needs a training run (issue 5).
"""
import time, torch, torch.nn.functional as F
from fastcore.script import call_parse
from gender_fastai.models import ResNet9

def steps_per_s(model, x, y, train, bf16, n=6):
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    def step():
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            if train:
                loss = F.cross_entropy(model(x).float(), y); opt.zero_grad(); loss.backward(); opt.step()
            else:
                with torch.inference_mode(): model(x)
    step(); t = time.perf_counter()
    for _ in range(n): step()
    return n * len(x) / (time.perf_counter() - t)

@call_parse
def main(size:int=32, width:int=16, bs:int=128, rounds:int=3):
    torch.manual_seed(0)
    flags = open('/proc/cpuinfo').read()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, avx512_bf16: {'avx512_bf16' in flags}, amx_bf16: {'amx_bf16' in flags}")
    res = {}
    for _ in range(rounds):
        for train in (True, False):
            for cl in (False, True):
                for bf16 in (False, True):
                    m = ResNet9(width=width).train(train)
                    x, y = torch.randn(bs, 3, size, size), torch.randint(0, 2, (bs,))
                    if cl: m, x = m.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
                    k = ('train' if train else 'infer', 'channels_last' if cl else 'contiguous', 'bf16' if bf16 else 'fp32')
                    res[k] = max(res.get(k, 0), steps_per_s(m, x, y, train, bf16))
    print(f"\nResNet9 width {width}, {size} px, batch {bs}, best of {rounds}\n\n| phase | layout | precision | images/s | vs fp32 contiguous |\n|---|---|---|---|---|")
    for (ph, cl, p), v in res.items(): print(f"| {ph} | {cl} | {p} | {v:.0f} | {v / res[(ph, 'contiguous', 'fp32')]:.2f}x |")
