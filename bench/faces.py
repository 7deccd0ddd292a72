"""Face detection recall on composite photos made from the shared samples.

    python bench/faces.py [--n 50] [--per 4] [--side 160]

Each composite pastes `per` face images at known places on a noisy canvas (UTKFace chips, and gender-sample crops,
which are tighter), runs `find_faces`, and counts a face as found when a detection's centre lies inside its pasted
box. Prints recall, false detections (centres outside every pasted box) and seconds per photo, per source.
"""
import time, numpy as np
from PIL import Image
from fastcore.script import call_parse
from gender_fastai.core import sample_data, image_files, load_rgb
from gender_fastai.faces import find_faces, face_detector, composite_photo, faces_found

@call_parse
def main(n:int=50, per:int=4, side:int=160, seed:int=0):
    det = face_detector(); rng = np.random.default_rng(seed)
    g = sample_data('gender-sample')/'Validation'
    sources = {'utkface-sample': image_files(sample_data('utkface-sample')),
               'gender-sample/Validation': image_files(g/'female') + image_files(g/'male')}
    print(f"| source | photos | faces | found | recall | false detections | s per photo |\n|---|---|---|---|---|---|---|")
    for name, files in sources.items():
        found = false = total = 0; secs = 0.
        for _ in range(n):
            pick = [files[i] for i in rng.choice(len(files), per, replace=False)]
            photo, boxes = composite_photo(pick, size=(per * (side + 40), side * 2 + 40), side=side, seed=int(rng.integers(1 << 30)))
            t = time.perf_counter(); dets = find_faces(photo, detector=det); secs += time.perf_counter() - t
            hits, fp = faces_found(boxes, [b for b, _ in dets])
            found, false, total = found + hits, false + fp, total + len(boxes)
        print(f"| {name} | {n} | {total} | {found} | {found / total:.3f} | {false} | {secs / n:.3f} |", flush=True)
