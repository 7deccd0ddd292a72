"""Train ResNet9 on gender-sample/Training, report gender-sample/Validation accuracy, wall time and images/s.

    python bench/train.py [--data DIR] [--epochs 10] [--size 32] [--width 16] [--lr 5e-3] [--workers 0]

Prints one line per epoch, then a summary table; the target is >= 95% validation accuracy within
10 minutes of training on a 2-core CPU.
"""
import os, sys, time, platform, resource
import torch
from fastcore.script import call_parse
from fastai.callback.core import Callback
from gender_fastai.core import sample_data
from gender_fastai.data import load_items
from gender_fastai.learner import train_model

class EpochClock(Callback):
    "Wall time at the end of each epoch, and time spent in training batches"
    order = 0
    def before_fit(self): self.t0, self.ends, self.train_s = time.perf_counter(), [], 0.
    def before_train(self): self.tt = time.perf_counter()
    def after_train(self): self.train_s += time.perf_counter() - self.tt
    def after_epoch(self): self.ends.append(time.perf_counter() - self.t0)

@call_parse
def main(data:str=None, # Dataset folder (default: the shared gender-sample)
         epochs:int=10, size:int=32, width:int=16, lr:float=5e-3, bs:int=128,
         workers:int=None, # DataLoader workers (default: the library's choice)
         seed:int=42,
         bf16:str='auto', # bfloat16 autocast on the CPU (CPUBf16): auto (the library's default), yes or no
         cache:str='auto'): # Pre-resized cache: auto (the library's default), yes or no
    data = data or sample_data('gender-sample')
    items = load_items(data)
    n_train = int((items.split == 'train').sum())
    clock = EpochClock()
    t0 = time.perf_counter()
    learn = train_model(items, size=size, epochs=epochs, lr=lr, bs=bs, seed=seed, num_workers=workers, width=width, cbs=[clock], bf16={'auto': None, 'yes': True, 'no': False}[bf16], cache={'auto': None, 'yes': True, 'no': False}[cache])
    total = time.perf_counter() - t0
    accs = [float(v[2]) for v in learn.recorder.values]
    def first_at(t): return next((f"{clock.ends[i]:.0f} s (epoch {i+1})" for i, a in enumerate(accs) if a >= t), 'not reached')
    rows = [('machine', f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
                        f"{'cuda ' + torch.cuda.get_device_name() if torch.cuda.is_available() else 'cpu'}, {torch.get_num_threads()} threads"),
            ('data', f"{data}: {n_train} train / {len(learn.dls.valid_ds)} valid images"),
            ('settings', f"ResNet9 width {width}, size {size}, bs {bs}, {epochs} epochs, lr {lr}, workers {learn.dls.train.fake_l.num_workers}, bf16 {bf16}, fused AdamW, cache {cache}"),
            ('final validation accuracy', f"{accs[-1]:.4f}"),
            ('best validation accuracy', f"{max(accs):.4f}"),
            ('training wall time (fit)', f"{clock.ends[-1]:.1f} s"),
            ('total incl. data setup', f"{total:.1f} s"),
            ('training images/s', f"{n_train*epochs/clock.train_s:.0f} (train phase only, incl. data loading)"),
            ('time to 95% / 97%', f"{first_at(0.95)} / {first_at(0.97)}"),
            ('peak memory (max RSS)', f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GB")]
    print('\n| measure | value |\n|---|---|'); print('\n'.join(f"| {k} | {v} |" for k, v in rows))
