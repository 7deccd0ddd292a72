"""Data-parallel training over several processes, with fastai's own distributed support (accelerate).

    torchrun --nproc_per_node 2 scripts/train_ddp.py --sample 100 --epochs 2   # 2 CPU processes, gloo backend
    accelerate launch --multi_gpu --num_processes 4 scripts/train_ddp.py        # 4 GPUs of one machine, nccl (not run here)

Each process trains on its own share of every batch (fastai's `DistributedDL`), gradients are averaged across
processes (`DistributedDataParallel` through accelerate), and process 0 saves the model in the safe format. `--bs` is
per process. On CPU, fastai 2.8's `DistributedDL` broadcasts its shuffle order with a CUDA tensor; this script
replaces that one method with a CPU version. Batch norm is synchronised across GPUs (`SyncBatchNorm`); PyTorch has no CPU SyncBatchNorm, so on CPU each
process keeps its own batch statistics. Needs `pip install accelerate` (gender_fastai[distributed]).
"""
import os, time, torch
from fastcore.script import call_parse
from fastai.distributed import *
from fastai.torch_core import set_seed, num_distrib, rank_distrib
from gender_fastai.core import sample_data
from gender_fastai.data import load_items, sample_items
from gender_fastai.learner import arch_dls, gender_learner, get_arch
from gender_fastai.export import save_model

def _broadcast_cpu(self, t, rank):
    "fastai's `DistributedDL._broadcast` without its `.cuda()`, so the gloo backend can shuffle on CPU processes"
    t = torch.LongTensor(t); torch.distributed.broadcast(t, rank); return t.tolist()

@call_parse
def main(data:str=None, # Dataset folder (default: the shared gender-sample)
         arch:str='resnet9', epochs:int=10, bs:int=128, lr:float=None, seed:int=42,
         sample:int=None, # Use only this many images per class and split (a quick check)
         out:str='models/ddp.safetensors'):
    cuda = torch.cuda.is_available()
    if not cuda: DistributedDL._broadcast = _broadcast_cpu  # fastai 2.8's version assumes nccl + CUDA
    if not cuda: torch.set_num_threads(max(1, (os.cpu_count() or 1) // max(1, num_distrib())))  # share the cores
    items = load_items(data or sample_data('gender-sample'))
    if sample: items = sample_items(items, sample)
    set_seed(seed, reproducible=True)
    learn = gender_learner(arch_dls(items, arch, bs=bs, seed=seed, num_workers=0), arch)
    t = time.perf_counter()
    with learn.distrib_ctx(sync_bn=cuda, cpu=not cuda):
        learn.fit_one_cycle(epochs, lr or get_arch(arch).lr)
    if rank_distrib() == 0:
        print(f"{num_distrib() or 1} process(es), {'cuda' if cuda else 'cpu'}: {epochs} epochs in {time.perf_counter() - t:.1f} s, "
              f"final validation accuracy {float(learn.recorder.values[-1][2]):.4f}; saved {save_model(learn, out)}", flush=True)
    if torch.distributed.is_initialized():  # leave together: a process that exits while gloo threads still run aborts
        torch.distributed.barrier(); torch.distributed.destroy_process_group()
