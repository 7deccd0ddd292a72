"""Does fine-tuning the face backbone help on data unlike the training set? One run, both recipes, judged across datasets.

    python bench/crossdomain.py [--epochs 20] [--unfreeze_epochs 2] [--alphas 0,1] [--face_only]

`faceresnet` (dlib's face-recognition ResNet, pooled features, and dlib's gender network beside it unless `--face_only`;
new head) trained on gender-sample/Training only (CelebA crops), as `scripts/train_face.py` trains the bundled model:
`epochs` one-cycle epochs of the head on the frozen bodies' features (the frozen recipe), then `unfreeze_epochs` epochs of the whole network at lr/100..lr/10 (the fine-tuned recipe). Both are
judged on gender-sample/Validation (same source, never trained on) and on all 6,000 faces of utkface-sample, a dataset
neither saw (other ages, origins, light): accuracy, and by age band. With `--alphas`, also the weights interpolated
between the two (`alpha` x fine-tuned + (1 - alpha) x frozen stage, WiSE-FT). Face chips are the library's (MTCNN,
aligned, cached); the utkface chips are built once (about 5 minutes on 2 cores).
"""
import sys, time, warnings
from pathlib import Path
import numpy as np, pandas as pd, torch
from fastcore.script import call_parse
from gender_fastai.core import sample_data, image_files
from gender_fastai.data import resized_array, load_items
from gender_fastai.models import dlib_face_stats
from gender_fastai.learner import train_model
from gender_fastai.evaluate import age_band
sys.path.insert(0, str(Path(__file__).parents[1]/'scripts'))
from train_face import fine_tune_all

def probs(model, arr, mean, std):
    "P(male) of `model` for the uint8 chips `arr`"
    out = []
    with torch.inference_mode():
        for i in range(0, len(arr), 128):
            x = ((torch.from_numpy(np.array(arr[i:i + 128])).float() / 255 - mean) / std).contiguous(memory_format=torch.channels_last)
            out.append(model(x).softmax(1)[:, 1])
    return torch.cat(out).numpy()

@call_parse
def main(epochs:int=20, unfreeze_epochs:int=2, alphas:str='0,1', lr:float=2e-3, seed:int=42, face_only:bool=False):
    warnings.simplefilter('ignore')
    t = time.time()
    learn = train_model(sample_data('gender-sample'), 'faceresnet', epochs=epochs, lr=lr, bs=64, seed=seed, bf16=False, smooth=0, descriptor=False, gender_net=not face_only)
    frozen = {k: v.detach().clone() for k, v in learn.model.state_dict().items()}
    fine_tune_all(learn, unfreeze_epochs, lr)
    tuned = {k: v.detach().clone() for k, v in learn.model.state_dict().items()}
    print(f"trained in {(time.time() - t) / 60:.1f} min", flush=True)
    g = load_items(sample_data('gender-sample')); gv = g[g.split == 'valid']
    utk = image_files(sample_data('utkface-sample'))
    sets = {'gender-sample/Validation': (list(gv.path), (gv.label == 'male').values.astype(int)),
            'utkface-sample, all (never trained on)': (utk, np.array([int(f.name.split('_')[1] == '0') for f in utk]))}  # UTKFace: 0 = male
    ages = pd.Series([age_band(int(f.name.split('_')[0])) for f in utk])
    chips = {k: resized_array(fs, 150, align=0.25) for k, (fs, _) in sets.items()}
    mean, std = (torch.tensor(v)[:, None, None] for v in dlib_face_stats())
    m = learn.model.eval().cpu()
    print(f"\n| weights | {' | '.join(sets)} | utkface mean over age bands | utkface by age band |\n|---|---|---|---|---|")
    for a in map(float, alphas.split(',')):
        m.load_state_dict({k: (1 - a) * frozen[k] + a * v if v.is_floating_point() else v for k, v in tuned.items()})
        ok = {k: (probs(m, chips[k], mean, std) > 0.5) == y for k, (_, y) in sets.items()}
        bands = pd.Series(ok['utkface-sample, all (never trained on)']).groupby(ages).mean()
        name = {0.: 'frozen body, head only', 1.: f'+ {unfreeze_epochs} epochs fine-tuned'}.get(a, f'{a:g} x fine-tuned + {1 - a:g} x frozen')
        print(f"| {name} | " + ' | '.join(f"{v.mean():.4f}" for v in ok.values()) + f" | {bands.mean():.4f} | " + ', '.join(f"{b} {v:.3f}" for b, v in bands.items()) + " |", flush=True)
