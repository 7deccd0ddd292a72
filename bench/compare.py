"""Train every architecture on gender-sample/Training with the same wall-time budget; one table of the results.

    python bench/compare.py [--budget 240] [--archs resnet9,alexnet,skipcnn,seqcnn,transfer] [--data DIR] [--probe]

For each architecture: a short probe run (a few batches) estimates the epoch time, which sets the number of
`fit_one_cycle` epochs that fit in `--budget` seconds (at least 1); the pretrained transfer model instead trains its
head with `transfer_fit` (Adam 1e-3, early stopping on validation loss) for at most that many epochs. Then it prints
architecture, input size, parameters, epochs, training images/s, inference images/s (model alone on batches of 256,
and end to end from JPEG files), validation accuracy on gender-sample/Validation, wall time, time to 95%.
"""
import os, time, platform
import torch
from fastcore.script import call_parse
from fastai.callback.all import ShortEpochCallback
from fastai.torch_core import set_seed
from gender_fastai.core import sample_data
from gender_fastai.data import load_items
from gender_fastai.learner import ARCHS, get_arch, arch_dls, gender_learner, transfer_fit
from train import EpochClock

def probe_epoch_s(items, arch, bs, n_batches=12):
    "Seconds one training epoch (plus validation) takes, estimated from `n_batches` training batches"
    learn = gender_learner(arch_dls(items, arch, bs=bs), arch)
    n = len(learn.dls.train)
    with learn.no_bar(), learn.no_logging():
        learn.fit(1, get_arch(arch).lr, cbs=ShortEpochCallback(pct=1 / n, short_valid=True))  # warm-up: one batch
        t = time.perf_counter(); learn.fit(1, get_arch(arch).lr, cbs=ShortEpochCallback(pct=n_batches / n, short_valid=True))
    per_batch = (time.perf_counter() - t) / n_batches
    return per_batch * n * 1.1  # validation (no backward) and per-epoch overhead: about 10% more, measured on ResNet9

def model_ips(model, size, bs=256, reps=5):
    "Images/s of `model` alone in inference mode on batches of `bs`"
    model.eval(); x = torch.randn(bs, 3, size, size, device=next(model.parameters()).device).to(memory_format=torch.channels_last)
    with torch.inference_mode():
        model(x); t = time.perf_counter()
        for _ in range(reps): model(x)
    return bs * reps / (time.perf_counter() - t)

@call_parse
def main(data:str=None, # Dataset folder (default: the shared gender-sample)
         budget:float=240, # Training seconds per architecture
         archs:str=','.join(ARCHS), # Comma-separated architecture names
         bs:int=128, seed:int=42,
         probe:bool=False): # Only estimate epoch times
    data = data or sample_data('gender-sample')
    items = load_items(data); n_train = int((items.split == 'train').sum())
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"{'cuda ' + torch.cuda.get_device_name() if torch.cuda.is_available() else 'cpu'}, {torch.get_num_threads()} threads; "
          f"data: {data} ({n_train} train images); budget {budget:.0f} s per architecture", flush=True)
    rows = []
    for arch in archs.split(','):
        a = get_arch(arch)
        est = probe_epoch_s(items, arch, bs)
        epochs = max(1, int(budget // est))
        print(f"{arch}: about {est:.0f} s per epoch -> {epochs} epoch(s)", flush=True)
        if probe: continue
        set_seed(seed, reproducible=True)
        learn = gender_learner(arch_dls(items, arch, bs=bs, seed=seed), arch)
        clock = EpochClock()
        learn.add_cb(clock)
        t0 = time.perf_counter()
        with learn.no_bar(), learn.no_logging():
            if a.frozen: transfer_fit(learn, epochs=epochs, lr=a.lr, patience=3)
            else: learn.fit_one_cycle(epochs, a.lr)
        wall = time.perf_counter() - t0
        learn.remove_cb(clock)
        accs = [float(v[2]) for v in learn.recorder.values]
        t95 = next((f"{clock.ends[i]:.0f} s" for i, acc in enumerate(accs) if acc >= 0.95 - 1e-6), '-')  # float32 accuracies: 0.95 recorded as 0.9499999
        with learn.no_bar():
            t = time.perf_counter(); preds, targs = learn.get_preds(); files_ips = len(targs) / (time.perf_counter() - t)
        acc = float((preds.argmax(1) == targs).float().mean())  # the weights the learner ends with (best epoch for transfer_fit)
        size = a.size
        row = dict(arch=arch, size=size, params=sum(p.numel() for p in learn.model.parameters()), epochs=len(accs),
                   train_ips=n_train * len(accs) / sum(clock.train_s), model_ips=model_ips(learn.model, size), files_ips=files_ips,
                   acc=acc, wall=wall, t95=t95)
        rows.append(row); print(row, flush=True)
    if probe: return
    print(f"\n| architecture | size | parameters | epochs | train img/s | inference img/s (model, bs 256) | inference img/s (from files) "
          f"| validation accuracy | training wall time | time to 95% |\n|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['arch']} | {r['size']} | {r['params']:,} | {r['epochs']} | {r['train_ips']:.0f} | {r['model_ips']:.0f} | {r['files_ips']:.0f} "
              f"| {r['acc']:.4f} | {r['wall']:.0f} s | {r['t95']} |")
