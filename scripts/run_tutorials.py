"""Run tutorial notebooks top to bottom, `#| slow` cells included, and store their outputs in the notebooks.

    python scripts/run_tutorials.py [NOTEBOOK ...]      # default: every notebook of nbs/tutorials

The stored outputs are what the docs site shows. Pictures of faces from the data are not stored (the data is not
ours to copy into the repository): a cell whose source contains the comment `# faces:` keeps its text output and
loses its images, replaced by a line saying so. The notebook is written only when every cell ran without an error
(atomically), and then cleaned with `nbdev_clean`. Run it on an idle machine: the tutorials print their timings.
"""
import os, re, sys, time, subprocess
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory

ROOT = Path(__file__).resolve().parent.parent
FACES = '# faces:'
NO_FACES = "(pictures of faces from the data are not stored in the repository: run this cell to see them)\n"

def strip_faces(nb):
    "Drop the image outputs of cells marked `# faces:`; returns how many were dropped"
    n = 0
    for c in nb.cells:
        if c.cell_type != 'code' or FACES not in c.source: continue
        kept = [o for o in c.outputs if not any(k.startswith('image/') for k in o.get('data', {}))]
        n += len(c.outputs) - len(kept)
        c.outputs = kept + [dict(name='stdout', output_type='stream', text=NO_FACES)]
    return n

BAR = re.compile(r'^.*\|[█-]*\| *[\d.]+% \[[^\]]*\]')  # a frame of a fastprogress bar, up to its `[n/total time]`

EPOCH = re.compile(r'^\s*Epoch \d+/\d+ :\s*$')  # what a finished bar leaves behind

def clean_stream(text):
    "Text as a terminal leaves it: each line's last `\\r` segment, progress-bar frames dropped (what follows one is kept)"
    lines = []
    for line in text.split('\n'):
        segs = [BAR.sub('', s) for s in line.split('\r')]
        segs = [s for s in segs if s.strip(' █') and not EPOCH.match(s)]
        if segs: lines.append(segs[-1].rstrip())
    return '\n'.join(lines) + '\n' if lines else ''

def tidy(nb):
    "Stored streams as a terminal shows them, without progress-bar frames and library warnings"
    for c in nb.cells:
        if c.cell_type != 'code': continue
        outs = []
        for o in c.outputs:
            if o.get('output_type') == 'stream':
                text = ''.join(o['text'])
                if o['name'] == 'stderr' and all('Warning' in l or 'warnings.warn' in l for l in text.splitlines() if l.strip()): continue
                o['text'] = clean_stream(text)
                if not o['text']: continue
            outs.append(o)
        c.outputs = outs
    return nb

def run(path):
    "Execute notebook `path` in its folder, every cell; store outputs; `True` on success"
    path = Path(path).resolve()
    nb = read_nb(path)
    t = time.perf_counter()
    sh = CaptureShell(path)
    with working_directory(path.parent): sh.run_all(nb, exc_stop=True)
    if sh.exc: print(sh.prettytb(fname=path), file=sys.stderr); return False
    n = strip_faces(tidy(nb))
    tmp = path.with_suffix('.ipynb.tmp')
    write_nb(nb, tmp); os.replace(tmp, path)
    subprocess.run([str(Path(sys.executable).parent/'nbdev_clean'), '--fname', str(path)], check=True, cwd=ROOT)
    print(f"{path.relative_to(ROOT)}: ran in {time.perf_counter() - t:.0f} s, {n} face picture(s) left out", flush=True)
    return True

def tidy_file(path):
    "Apply `tidy` to the stored outputs of notebook `path`, without running it"
    nb = tidy(read_nb(path)); write_nb(nb, path)
    subprocess.run([str(Path(sys.executable).parent/'nbdev_clean'), '--fname', str(path)], check=True, cwd=ROOT)

if __name__ == '__main__':
    if {'-h', '--help'} & set(sys.argv[1:]): print(__doc__); sys.exit(0)  # the usage, nothing run or written
    os.environ.pop('IN_TEST', None)
    nbs = sys.argv[1:] or sorted((ROOT/'nbs'/'tutorials').glob('*.ipynb'))
    sys.exit(0 if all([run(p) for p in nbs]) else 1)
