"""Accuracy under camera conditions the training never saw: sensor noise, colour casts, over-exposure, low contrast.

    python bench/camera.py [--model gender_faceresnet] [--n 500] [--conditions plain,noise12,noise25,warm,cool,bright,flat,dark,gray]

The held-out sets of `bench/wild.py` (`held_out`: `n` balanced gender-sample/Validation crops, and utkface-sample's
held-out part, files byte-identical to a training file left out). Each crop is changed, written as JPEG (quality 95,
`plain` too, so that every row pays the same re-encoding) and predicted with `predict_files`:
- `noiseS`: Gaussian noise of sigma S grey levels on every channel (seeded);
- `warm` / `cool`: red and blue scaled by 1.2 and 0.75 / 0.8 and 1.25;
- `bright`: every value x1.7, clipped (an over-exposed face);
- `flat`: half the contrast about mid-grey;
- `dark`: every value x0.35 (an under-exposed face);
- `gray`: a black-and-white photo (ITU-R 601 luma on all three channels).
"""
import sys, tempfile, warnings
from pathlib import Path
import numpy as np
from PIL import Image
from fastcore.script import call_parse
sys.path.insert(0, str(Path(__file__).parent))
from wild import held_out
from gender_fastai.core import load_rgb
from gender_fastai.inference import open_model, predict_files

def changed(a, cond:str, rng):
    "RGB uint8 array `a` under camera condition `cond`"
    a = a.astype(np.float32)
    if cond.startswith('noise'): a = a + rng.normal(0, float(cond[5:]), a.shape)
    elif cond == 'warm': a = a * np.array([1.2, 1.0, 0.75], dtype=np.float32)
    elif cond == 'cool': a = a * np.array([0.8, 1.0, 1.25], dtype=np.float32)
    elif cond == 'bright': a = a * 1.7
    elif cond == 'flat': a = 128 + (a - 128) * 0.5
    elif cond == 'dark': a = a * 0.35
    elif cond == 'gray': a = np.repeat(a @ np.array([0.299, 0.587, 0.114], dtype=np.float32), 3).reshape(a.shape)
    elif cond != 'plain': raise SystemExit(f"Unknown condition {cond!r}: plain, noiseS (e.g. noise12), warm, cool, bright, flat, dark or gray.")
    return np.clip(np.round(a), 0, 255).astype(np.uint8)

@call_parse
def main(model:str='gender_faceresnet', # A bundled model or a model file
         n:int=500, # Balanced gender-sample/Validation crops
         conditions:str='plain,noise12,noise25,warm,cool,bright,flat,dark,gray', seed:int=0):
    warnings.simplefilter('ignore')
    m, (gv, uv) = open_model(model), held_out(n, seed)
    print(f"{model}: accuracy under camera conditions (crops changed, saved as JPEG 95, predicted with predict_files)\n")
    print("| condition | gender-sample/Validation (" + f"{len(gv)}) | utkface-sample held-out ({len(uv)}) |\n|---|---|---|")
    for cond in conditions.split(','):
        rng, accs = np.random.default_rng(seed), []
        for df in (gv, uv):
            with tempfile.TemporaryDirectory() as d:
                files = []
                for i, p in enumerate(df.path):
                    files.append(Path(d)/f'{i}.jpg'); Image.fromarray(changed(np.asarray(load_rgb(p)), cond, rng)).save(files[-1], quality=95)
                accs.append((predict_files(m, files, progress=False, screen=None).label.values == df.label.values).mean())
        print(f"| {cond} | {accs[0]:.2%} | {accs[1]:.2%} |", flush=True)
