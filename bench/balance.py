"""Balanced batches across sources: the same run with and without `balance=True`, per-source validation accuracy.

    python bench/balance.py [--arch resnet9] [--epochs 10] [--seeds 42]

Trains on gender-sample (16,000 training crops) + utkface-sample (4,800 training photos), so batches are three quarters
gender-sample unless balanced; each source's own validation split (2,000 and 1,200 images) judges, and neither
training run sees it. Prints one table row per (balance, seed).
"""
import time, warnings
from fastcore.script import call_parse
from gender_fastai.core import sample_data
from gender_fastai.learner import train_model

@call_parse
def main(arch:str='resnet9', epochs:int=10, seeds:str='42', photo_aug:float=None):
    warnings.simplefilter('ignore')
    data = [sample_data('gender-sample'), sample_data('utkface-sample')]
    rows = ["| balance | seed | gender-sample valid | utkface-sample valid | both | seconds |", "|---|---|---|---|---|---|"]
    for seed in map(int, seeds.split(',')):
        for balance in (False, True):
            t = time.time()
            learn = train_model(data, arch, epochs=epochs, seed=seed, balance=balance, photo_aug=photo_aug)
            acc = learn.source_accuracy; n = sum(k for _, k in acc.values())
            both = sum(a * k for a, k in acc.values()) / n
            rows.append(f"| {balance} | {seed} | {acc['gender-sample'][0]:.4f} | {acc['utkface-sample'][0]:.4f} | {both:.4f} | {time.time() - t:.0f} |")
            print(rows[-1], flush=True)
    print('\n'.join(rows))
