"""How the default model's crops are screened, measured: the fast model's share and the answers' accuracy at each threshold.

    python bench/screen.py [--per 400] [--thresholds 0.95,0.98,0.99,0.995] [--turned 1]

`predict_files` on the bundled default (`gender_faceresnet`) first asks the fast `gender_transfer`, whose answer stands
where its top probability is `quick.SCREENS`' threshold (0.99) or more. This prints, on faces neither model trained on:
- gender-sample/Validation and the utkface held-out part (`bench/wild.py`'s `held_out`: byte-duplicates of training
  files left out): each model alone, and for each threshold the share the fast model answers and the accuracy of the
  screened answers (and the utkface age bands where they differ from the face model's);
- `per` crops of each held-out set (`--per 400`: 800 crops) in each condition of `faces.wild_photo`'s faces (small,
  turned 15-30° or 40-100°, dark, blurred, low resolution, JPEG 15) and with sunglasses or a mask drawn at the landmarks
  (`wild.occlude_face`), and cut loosely from a cluttered photo (`loose`: the face pasted as the composites paste it, the crop
  a square of twice its side around its centre), saved as JPEG 95, the same per condition;
- with `--turned 1`, the face model on the same changed crops with its crops searched upright only (`MTCNNFinder(turns=())`,
  the crop search before crops were searched turned too) against the default finder, in each condition.
"""
import sys, tempfile, warnings
from pathlib import Path
import numpy as np, pandas as pd
from fastcore.script import call_parse
sys.path.insert(0, str(Path(__file__).parent))
from wild import held_out, occlude_face
from gender_fastai.core import load_rgb, open_face
from gender_fastai.faces import _wild_face, wild_photo, face_chip, MTCNNFinder, face_finder
from gender_fastai.evaluate import age_band
from gender_fastai.data import dls_size, dls_align
from gender_fastai.inference import open_model, predict_files, predict_probs, SCREENS

CONDITIONS = ('plain', 'small', 'rotated', 'tilted', 'dark', 'blurred', 'lowres', 'jpeg', 'sunglasses', 'mask', 'loose')

def loose_crop(path, seed, k:float=2.):
    "The face of `path` pasted into a cluttered 640 x 480 photo (`wild_photo`, as it is), cut as a square `k` times its side around its centre"
    photo, placed = wild_photo([path], seed=seed, condition='plain')
    (l, t, r, b), _ = placed[0]; cx, cy, h = (l + r) / 2, (t + b) / 2, k * max(r - l, b - t) / 2
    return photo.crop((round(cx - h), round(cy - h), round(cx + h), round(cy + h)))  # black beyond the photo

def changed_crops(gv, uv, per, folder):
    "Table `cond, src, label, path` of `per` crops of each held-out set in each of `CONDITIONS`, written as JPEG 95 into `folder`"
    items = pd.concat([gv.sample(min(per, len(gv)), random_state=0).assign(src='gs'), uv.sample(min(per, len(uv)), random_state=0).assign(src='utk')]).reset_index(drop=True)
    rows = []
    for c in CONDITIONS:
        rng = np.random.default_rng(1)
        for i, r in items.iterrows():
            im = load_rgb(r.path)
            if c == 'loose': im = loose_crop(r.path, i)
            elif c in ('sunglasses', 'mask'): im = occlude_face(im, c) or im
            elif c != 'plain': im, _ = _wild_face(im, c, rng, 0.6 if r.src == 'utk' else 1.0)  # a UTKFace chip's face spans about 60% of it
            p = Path(folder)/f'{c}_{i}.jpg'; im.save(p, quality=95)
            rows.append(dict(cond=c, src=r.src, label=r.label, path=str(p), age=r.get('age')))
    return pd.DataFrame(rows)

def both(fast, face, df):
    "`df` with each model's label and probability (`fast_*`, `face_*`; the fast model in float32 as the screen runs it, the face model alone, unscreened)"
    a, b = predict_files(fast, list(df.path), progress=False, bf16=False), predict_files(face, list(df.path), progress=False, screen=None)  # the fast model as the screen runs it: float32
    return df.assign(fast_label=a.label.values, fast_p=a.probability.values, face_label=b.label.values)

def screened_right(d, t):
    "Per row: whether the screened answer at threshold `t` is right, and whether the fast model gave it"
    sure = (d.fast_p >= t).values
    return np.where(sure, d.fast_label == d.label, d.face_label == d.label), sure

@call_parse
def main(per:int=400, thresholds:str='0.95,0.98,0.99,0.995', turned:int=1):
    warnings.simplefilter('ignore')
    ts = [float(t) for t in thresholds.split(',')]
    face = open_model(); fast = open_model(SCREENS['gender_faceresnet'][0])
    gv, uv = held_out(10**9)
    print(f"Screening of the default model by {SCREENS['gender_faceresnet'][0]} (the library's threshold: {SCREENS['gender_faceresnet'][1]})\n")
    print("| set | faces | fast model alone | face model alone | " + " | ".join(f"screened at {t}: answered fast / accuracy" for t in ts) + " |")
    print("|---|---|---|---|" + "---|" * len(ts))
    all_notes = []
    for name, df in (('gender-sample/Validation', gv), ('utkface-sample held-out', uv)):
        d = both(fast, face, df)
        cells, notes = [], []
        for t in ts:
            ok, sure = screened_right(d, t); cells.append(f"{sure.mean():.1%} / {ok.mean():.4f}")
            if name.startswith('utk'):
                band = d.age.map(age_band).values; alone = (d.face_label == d.label).values
                diff = [f"{b} {ok[band == b].mean():.3f} against {alone[band == b].mean():.3f}" for b in pd.unique(band) if ok[band == b].sum() != alone[band == b].sum()]
                notes.append(f"  (utkface held-out, screened at {t}: " + (f"the age bands that differ from the face model alone: {', '.join(diff)})" if diff else "every age band as the face model alone)"))
        print(f"| {name} | {len(d)} | {(d.fast_label == d.label).mean():.4f} | {(d.face_label == d.label).mean():.4f} | " + " | ".join(cells) + " |", flush=True)
        all_notes += notes
    print('\n'.join(all_notes))
    with tempfile.TemporaryDirectory() as folder:
        d = both(fast, face, changed_crops(gv, uv, per, folder))
        print(f"\n{per} crops of each held-out set per condition, as the composites change faces (JPEG 95):\n")
        print("| condition | crops | fast model alone | face model alone | " + " | ".join(f"screened at {t}" for t in ts) + " |")
        print("|---|---|---|---|" + "---|" * len(ts))
        for c in CONDITIONS:
            g = d[d.cond == c]
            print(f"| {c} | {len(g)} | {(g.fast_label == g.label).mean():.4f} | {(g.face_label == g.label).mean():.4f} | "
                  + " | ".join(f"{screened_right(g, t)[0].mean():.4f} ({screened_right(g, t)[1].mean():.0%} fast)" for t in ts) + " |", flush=True)
        if turned:
            print("\nThe face model on the same crops, crops searched upright only (`MTCNNFinder(turns=())`) against upright then turned (the default):\n")
            print("| condition | crops | upright only | upright, then turned | no face found upright |\n|---|---|---|---|---|")
            upright, vocab, size, align = MTCNNFinder(turns=()), list(face.dls.vocab), dls_size(face.dls), dls_align(face.dls)
            for c in CONDITIONS:
                g = d[d.cond == c]; y = np.array([vocab.index(l) for l in g.label]); ims = [open_face(p) for p in g.path]
                right = [(predict_probs(face, [np.asarray(face_chip(im, size, align, f)[0]) for im in ims], ready=True).argmax(1).numpy() == y).mean() for f in (upright, face_finder())]
                print(f"| {c} | {len(g)} | {right[0]:.4f} | {right[1]:.4f} | {sum(not upright.find(im, photo=False) for im in ims)} |", flush=True)
