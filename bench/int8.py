"""Int8 inference of a model against float32, calibrated here on Training crops as `export.save_model` calibrates (the
feature, `int8=True` / `--int8`, rebuilds it from the calibration stored in the model file: `models.int8_qparams`,
`models.int8_model`; for a network FX cannot trace, such as the face models' dlib ResNet, `export.ort_int8`).

    python bench/int8.py [--model gender_resnet9] [--calib 512] [--threads 1] [--no_fold] [--files 3000] [--bits 7|8]

Models of squished crops: post-training static quantisation with torch's FX flow for the x86 backend (oneDNN / VNNI),
through the library's own `int8_qparams` / `int8_model` (which fold per-channel scales and shifts into the convolutions
first; `--no_fold`: the network as it is, as before). A network FX cannot trace, such as the aligned face model's
(`--model gender_faceresnet`), as `export.int8_calibration` does: onnxruntime's static quantisation of the convolutions of the folded network's ONNX graph (`ort_int8`: QDQ, weights per channel on
8 bits where the CPU has VNNI, else 7: `export.ort_weight_bits`; `--bits` to choose), against the float32 graph `predict_files` runs (`inference_model`: onnxruntime's where it was timed fastest).
Calibrated on `calib` gender-sample/Training crops (as the model sees them: aligned chips for a face model), then
compared with the float32 model on all 2,000 gender-sample/Validation crops (never trained on): accuracy, probability
differences, labels that change, images/s of the model alone on `threads` torch threads, and files/s from `files` JPEG
files with each core decoding (and, for a face model, finding and aligning the face) and predicting whole batches, as
`predict_files` does; for a face model also the accuracy on utkface-sample's seeded held-out part (which no bundled model
trained on).
"""
import os, time, warnings
from concurrent.futures import ThreadPoolExecutor
import numpy as np, torch
from fastcore.script import call_parse
from gender_fastai.core import sample_data, image_files, torch_threads
from gender_fastai.data import dls_stats, dls_size, dls_align, held_out_items
from gender_fastai.models import int8_qparams, int8_model
from gender_fastai.export import ort_int8, ort_weight_bits, OrtGraph
from gender_fastai.inference import open_model, inference_model, _open

def batch(files, mean, std, size:int=32, align:float=None):
    "Normalised float batch of what the model sees of `files` (squished crops, or aligned chips where `align` is given), as `fast_probs` builds it"
    x = torch.from_numpy(np.stack([np.asarray(_open(f, size, align)[0]) for f in files])).permute(0, 3, 1, 2).float().div_(255)
    return ((x - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]).contiguous()

def rate(m, x, n=40):
    "Images/s of `m` on batch `x`"
    with torch.inference_mode():
        for _ in range(3): m(x)
        t = time.perf_counter()
        for _ in range(n): m(x)
    return n * len(x) / (time.perf_counter() - t)

def files_rate(m, files, mean, std, size:int=32, align:float=None, bs=64):
    "Files/s from JPEG files: each core decodes and predicts whole batches, torch on one thread each"
    chunks = [files[i:i + bs] for i in range(0, len(files), bs)]
    def work(c):
        with torch_threads(1), torch.inference_mode(): return m(batch(c, mean, std, size, align)).softmax(1)  # in each thread: a pool's threads do not take the count of the thread that made them
    t = time.perf_counter()
    with ThreadPoolExecutor(os.cpu_count()) as ex: n = sum(len(p) for p in ex.map(work, chunks))
    return n / (time.perf_counter() - t)

@call_parse
def main(model:str='gender_resnet9', # A bundled model or a model file
         calib:int=512, threads:int=1,
         no_fold:bool=False, # Quantise the network as it is, without folding its per-channel scales and shifts (FX only)
         files:int=3000, # JPEG files for the files/s rows (Validation, then Training)
         bits:int=None): # Of onnxruntime's int8 weights (the face models), 7 or 8 (`None`: this CPU's, `ort_weight_bits`); FX's models ignore it
    warnings.simplefilter('ignore')
    learn = open_model(model); mean, std = dls_stats(learn.dls); size, align = dls_size(learn.dls), dls_align(learn.dls)
    g = sample_data('gender-sample')
    val = image_files(g/'Validation'/'female') + image_files(g/'Validation'/'male'); y = np.array([0] * 1000 + [1] * 1000)
    cal = image_files(g/'Training'/'female')[:calib // 2] + image_files(g/'Training'/'male')[:calib // 2]
    xv, xc = batch(val, mean, std, size, align), batch(cal, mean, std, size, align)
    t = time.perf_counter()
    batches = [xc[i:i + 64] for i in range(0, len(xc), 64)]
    try: qp = int8_qparams(learn.model, batches, fold=not no_fold); q = int8_model(learn.model, qp, xc[:8]); kind = f'FX, {torch.backends.quantized.engine}'
    except torch.fx.proxy.TraceError:  # as `export.int8_calibration` chooses: a network FX cannot trace (the face models) goes to onnxruntime
        bits = bits or ort_weight_bits(); onnx, qp = ort_int8(learn.model, xc[:2], batches, bits=bits); q = OrtGraph(None, xc[:2], onnx=onnx); kind = f'onnxruntime, QDQ, weights on {bits} bits'
    build = time.perf_counter() - t
    fp32 = inference_model(learn)
    with torch.inference_mode():
        p32 = torch.cat([fp32(xv[i:i + 64].contiguous(memory_format=torch.channels_last)).softmax(1) for i in range(0, len(xv), 64)])
        p8 = torch.cat([q(xv[i:i + 64]).softmax(1) for i in range(0, len(xv), 64)])
    d = (p32 - p8).abs()[:, 1]
    with torch_threads(threads):
        r32, r8 = rate(fp32, xv[:64].contiguous(memory_format=torch.channels_last)), rate(q, xv[:64])
    fs = (val + image_files(g/'Training'/'female')[:max(0, files - len(val))])[:files]
    f32, f8 = files_rate(fp32, fs, mean, std, size, align), files_rate(q, fs, mean, std, size, align)
    print(f"{model} ({type(learn.model).__name__}, {size} px{', aligned' if align is not None else ''}), int8 calibrated on {len(cal)} Training crops ({build:.1f} s, {len(qp)} activations{', not folded' if no_fold else ''}); {len(val)} Validation crops; {torch.__version__}, {os.cpu_count()} cores\n")
    print(f'| measure | float32 (`inference_model`) | int8 ({kind}) |\n|---|---|---|')
    print(f"| accuracy, Validation | {(p32.argmax(1).numpy() == y).mean():.4f} | {(p8.argmax(1).numpy() == y).mean():.4f} |")
    print(f"| probability difference: mean / max / share > 1e-2 | | {d.mean():.4f} / {d.max():.4f} / {(d > 1e-2).float().mean():.3f} |")
    print(f"| labels that change | | {(p32.argmax(1) != p8.argmax(1)).sum().item()} of {len(val)} |")
    print(f"| model alone, images/s, {threads} thread(s), batch 64 | {r32:.0f} | {r8:.0f} |")
    print(f"| from {len(fs)} JPEG files, files/s (every core: decode{' + find and align the face' if align is not None else ''} + model) | {f32:.0f} | {f8:.0f} |")
    if align is not None:  # the face models trained on utkface-sample's training part too: its seeded held-out part (minus files byte-identical to a training file) is data they never saw
        df = held_out_items([g, sample_data('utkface-sample')])['utkface-sample']
        xu, yu = batch(list(df.path), mean, std, size, align), np.array([0 if l == 'female' else 1 for l in df.label])
        with torch.inference_mode():
            u32 = torch.cat([fp32(xu[i:i + 64].contiguous(memory_format=torch.channels_last)).softmax(1) for i in range(0, len(xu), 64)])
            u8 = torch.cat([q(xu[i:i + 64]).softmax(1) for i in range(0, len(xu), 64)])
        print(f"| accuracy, utkface-sample held-out part ({len(df):,}; labels that change: {(u32.argmax(1) != u8.argmax(1)).sum().item()}) | {(u32.argmax(1).numpy() == yu).mean():.4f} | {(u8.argmax(1).numpy() == yu).mean():.4f} |")
