"""Side by side: one training epoch of ResNet9 with DataLoader num_workers 0, 1 and 2 (and data loading alone).

    python bench/loader.py [--n 2000] [--repeats 2]

Same data (n training images per class of gender-sample), same model and batch size; the rounds are interleaved so
that noise on a shared machine hits every setting alike. Prints images/s per setting and the ratio to workers=0.
"""
import time, warnings
import torch
from fastcore.script import call_parse
from gender_fastai.core import sample_data
from gender_fastai.data import load_items, sample_items, gender_dls, image_stats
from gender_fastai.learner import resnet9_learner

def epoch_ips(dls, train=True):
    "Images/s of one pass over the training set: a training epoch, or data loading alone"
    if not train:
        t = time.perf_counter(); n = sum(len(xb) for xb, _ in dls.train); return n / (time.perf_counter() - t)
    learn = resnet9_learner(dls)
    with learn.no_bar(), learn.no_logging():
        t = time.perf_counter(); learn.fit(1, 1e-3, cbs=[]); dt = time.perf_counter() - t
    return len(dls.train_ds) / dt

@call_parse
def main(n:int=2000, repeats:int=2, size:int=32, bs:int=128):
    warnings.filterwarnings('ignore')
    items = sample_items(load_items(sample_data('gender-sample')), n)
    items = items[items.split == 'train'].assign(split=lambda d: ['valid' if i % 10 == 0 else 'train' for i in range(len(d))])
    stats = image_stats(items.path, size)
    res = {}
    for r in range(repeats):
        for nw in (0, 1, 2):
            dls = gender_dls(items, size=size, bs=bs, stats=stats, num_workers=nw)
            res.setdefault(('load only', nw), []).append(epoch_ips(dls, train=False))
            res.setdefault(('train epoch', nw), []).append(epoch_ips(dls))
    print(f"\n{torch.get_num_threads()} torch threads, {len(items)} images, size {size}, bs {bs}, best of {repeats}\n")
    print('| what | workers | images/s | vs workers=0 |\n|---|---|---|---|')
    for (what, nw), v in res.items():
        print(f"| {what} | {nw} | {max(v):.0f} | {max(v)/max(res[(what, 0)]):.2f}x |")
