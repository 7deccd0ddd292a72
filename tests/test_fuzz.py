"""Random and mutated image bytes through the loading and prediction path: only the library's own errors may escape."""
import io, random
import numpy as np, pytest
from PIL import Image
from hypothesis import given, settings, HealthCheck, strategies as st
from gender_fastai.core import open_face, sample_data, GenderDataError, MAX_PIXELS
from gender_fastai.inference import load_model, predict_files

def _seeds():
    "Small real images in the formats a user's folder holds"
    face = Image.open(sorted((sample_data('gender-sample')/'Validation'/'male').iterdir())[0]).convert('RGB').resize((40, 48))
    out = []
    for fmt, im, kw in [('JPEG', face, {}), ('PNG', face, {}), ('PNG', face.convert('RGBA'), {}), ('GIF', face, {}),
                        ('BMP', face, {}), ('WEBP', face, {}), ('JPEG', face.convert('CMYK'), {}), ('TIFF', face, {})]:
        b = io.BytesIO(); im.save(b, fmt, **kw); out.append(b.getvalue())
    return out
SEEDS = _seeds()

@st.composite
def mutated(draw):
    "A real image with 1-8 random byte edits: overwrite, delete a run, insert, or truncate"
    b = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        if not b: break
        i, op = draw(st.integers(0, len(b) - 1)), draw(st.sampled_from(['set', 'cut', 'insert', 'truncate']))
        if op == 'set': b[i] = draw(st.integers(0, 255))
        elif op == 'cut': del b[i:i + draw(st.integers(1, 64))]
        elif op == 'insert': b[i:i] = draw(st.binary(min_size=1, max_size=16))
        else: del b[i:]
    return bytes(b)

def check_open(data):
    try: im = open_face(data)
    except GenderDataError: return 'error'
    assert im.mode == 'RGB' and 0 < im.width * im.height <= MAX_PIXELS
    return 'ok'

def fuzz(n): return settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck), derandomize=True)

@fuzz(3000)
@given(mutated())
def test_open_face_mutated(data): check_open(data)

@fuzz(1000)
@given(st.one_of(st.binary(max_size=256), st.builds(lambda s, t: s[:8] + t, st.sampled_from(SEEDS), st.binary(max_size=256))))
def test_open_face_random(data): check_open(data)

def test_predict_path_fuzz(model, tmp_path):
    "500 mutated files through batch prediction and `learn.predict`: a label or a reported error for each, never a crash"
    rng = random.Random(0)
    for k in range(500):
        b = bytearray(rng.choice(SEEDS))
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(b)); b[i] = rng.randrange(256)
        (tmp_path/f'{k:03d}{".jpg" if k % 2 else ".png"}').write_bytes(bytes(b[:rng.randint(1, len(b))] if k % 5 == 0 else b))
    learn = load_model(model[0])
    res = predict_files(learn, tmp_path, progress=False)
    assert len(res) == 500
    assert ((res.label != '') ^ (res.error != '')).all()
    ok = res[res.error == '']
    assert 0 < len(ok) < 500, len(ok)  # the corpus holds both kinds
    for f in res.file[:100]:
        try: learn.predict(f)
        except GenderDataError: pass
