"""Face finding on composite photos made from the shared samples: recall per condition, false detections and time,
for each face finder (MTCNN, the default when facenet-pytorch is installed, against dlib HOG, the finder before it),
and where MTCNN's time goes (milliseconds per photo, one thread: its three networks and the image pyramid in the full
search, and the settling searches around each face found).

    python bench/faces.py [--photos 20] [--seed 0]

Each photo (`faces.wild_photo`, 640x480, cluttered background) holds 1-4 faces from utkface-sample or gender-sample/
Validation, each under one condition (plain, small, rotated, dark, blurred, lowres, jpeg). A face is found when the
centre of a found box lies inside its pasted box (`faces.faces_found`).
"""
import time, numpy as np, pandas as pd
from collections import defaultdict
from fastcore.script import call_parse
import gender_fastai.faces as F
from gender_fastai.core import sample_data, image_files
from gender_fastai.faces import face_finder, faces_found, wild_photo, WILD_CONDITIONS

class Stages:
    "Seconds spent by `finder` (an `MTCNNFinder`) in each stage of its searches, summed: its networks and pyramid in the full search, and the settling around faces found (`_settled_all`, networks included)"
    def __init__(self, finder):
        self.t, self.settling = defaultdict(float), False
        for n in ('pnet', 'rnet', 'onet'):
            net = getattr(finder.m, n); net.forward = self._timed(net.forward, n)
        F._area_resized = self._timed(F._area_resized, 'pyramid')  # the full search reads it as a global of the module
        settle = finder._settled_all
        def settled_all(*a, **k):
            self.settling = True
            try: return self._timed(settle, 'settling')(*a, **k)
            finally: self.settling = False
        finder._settled_all = settled_all
    def _timed(self, f, name):
        def g(*a, **k):
            t = time.perf_counter()
            try: return f(*a, **k)
            finally:
                if name == 'settling' or not self.settling: self.t[name] += time.perf_counter() - t
        return g

@call_parse
def main(photos:int=20, # Photos per condition and source
         seed:int=0):
    g = sample_data('gender-sample')/'Validation'
    pools = {'utkface-sample': image_files(sample_data('utkface-sample')), 'gender-sample': image_files(g/'female') + image_files(g/'male')}
    finders = {k: face_finder(k) for k in ('mtcnn', 'hog')}
    stages = Stages(finders['mtcnn'])
    rows = []
    for src, files in pools.items():
        rng = np.random.default_rng(seed)
        for cond in WILD_CONDITIONS:
            for _ in range(photos):
                pick = [files[i] for i in rng.choice(len(files), int(rng.integers(1, 5)), replace=False)]
                photo, placed = wild_photo(pick, seed=int(rng.integers(1 << 30)), condition=cond)
                boxes = [b for b, _ in placed]
                for name, f in finders.items():
                    t = time.perf_counter(); found = f.find(photo); dt = time.perf_counter() - t
                    hits, false = faces_found(boxes, [b for b, _, _ in found])
                    rows.append(dict(finder=name, source=src, condition=cond, faces=len(boxes), hits=hits, false=false, seconds=dt))
    df = pd.DataFrame(rows)
    t = df.groupby(['finder', 'condition'])[['hits', 'faces']].sum(); rec = (t.hits / t.faces).unstack()[list(WILD_CONDITIONS)]
    tot = df.groupby('finder').agg(hits=('hits', 'sum'), faces=('faces', 'sum'), false=('false', 'sum'), photos=('seconds', 'size'), seconds=('seconds', 'mean'))
    print('| finder | ' + ' | '.join(WILD_CONDITIONS) + ' | all | false detections | s per photo |\n|---' * 1 + '|---' * (len(WILD_CONDITIONS) + 3) + '|')
    for f in rec.index:
        print(f"| {f} | " + ' | '.join(f"{v:.3f}" for v in rec.loc[f]) + f" | {tot.hits[f] / tot.faces[f]:.3f} | {tot.false[f]} | {tot.seconds[f]:.3f} |")
    print(f"{int(tot.faces.iloc[0])} faces in {int(tot.photos.iloc[0])} photos per finder")
    n, st = int(tot.photos.iloc[0]), stages.t
    total = df[df.finder == 'mtcnn'].seconds.sum()
    print('MTCNN, ms per photo: ' + ', '.join(f"{k} {st[k] / n * 1000:.1f}" for k in ('pnet', 'pyramid', 'rnet', 'onet', 'settling')) +
          f", the rest {(total - sum(st.values())) / n * 1000:.1f}; in all {total / n * 1000:.1f} (pnet, pyramid, rnet and onet: the full searches, upright and turned; settling: its own networks included)")
