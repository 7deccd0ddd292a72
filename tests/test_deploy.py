"Prediction anywhere: the bundled model offline, faces in composite photos, model files that are not what they claim."
import json, numpy as np, pandas as pd, pytest
from PIL import Image
from helpers import run
from gender_fastai.core import sample_data, image_files, load_rgb
from gender_fastai.faces import composite_photo, faces_found
from gender_fastai.export import save_model
from gender_fastai.inference import open_model, predict_files, load_model

@pytest.fixture(scope='module')
def val_files(gender_path):
    return image_files(gender_path/'Validation'/'female')[:3] + image_files(gender_path/'Validation'/'male')[:3]

def test_bundled_model_predicts_offline_in_fresh_process(val_files):
    env = {'no_proxy': '', 'HTTP_PROXY': 'http://127.0.0.1:9', 'HTTPS_PROXY': 'http://127.0.0.1:9'}  # any network use would fail
    r = run('gender_fastai_predict', val_files[0], env=env)
    assert r.returncode == 0, r.stderr
    label, prob, file = r.stdout.split()
    here = predict_files(open_model(), [val_files[0]], progress=False).iloc[0]
    assert label == here.label and abs(float(prob) - here.probability) < 1e-4 and file == str(val_files[0])
    r = run('gender_fastai_predict', *val_files, '--json')
    out = json.loads(r.stdout)
    assert [o['label'] for o in out] == predict_files(open_model(), val_files, progress=False).label.tolist()

def test_faces_found_at_the_right_places(tmp_path):
    utk = image_files(sample_data('utkface-sample'))
    photo, boxes = composite_photo([utk[i] for i in (3, 40, 77, 120)], size=(820, 400), side=160, seed=1)
    photo.save(tmp_path/'group.png')
    Image.new('RGB', (400, 300), (120, 130, 140)).save(tmp_path/'wall.jpg')
    r = run('gender_fastai_predict', '--faces', '--json', tmp_path/'group.png', tmp_path/'wall.jpg')
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    faces = [o for o in rows if o['file'].endswith('group.png')]
    assert len(faces) == 4
    assert faces_found(boxes, [(o['left'], o['top'], o['right'], o['bottom']) for o in faces]) == (4, 0)
    assert all(o['label'] in ('female', 'male') and 0.5 <= o['probability'] <= 1 for o in faces)
    assert [o['error'] for o in rows if o['file'].endswith('wall.jpg')] == ['no face found']
    r = run('gender_fastai_predict', '--faces', tmp_path/'wall.jpg')
    assert r.returncode == 0 and r.stdout.startswith('no face'), r.stdout

def test_bad_model_files_one_line_nothing_executed(model, val_files, tmp_path):
    good = save_model(load_model(model[0]), tmp_path/'good.safetensors')
    data = good.read_bytes()
    (tmp_path/'trunc.safetensors').write_bytes(data[:len(data) // 3])
    (tmp_path/'garbage.safetensors').write_bytes(b'\x07' * 500)
    marker = tmp_path/'pwned'
    import pickle, os
    class Evil:
        def __reduce__(self): return (os.system, (f'touch {marker}',))
    (tmp_path/'evil.safetensors').write_bytes(pickle.dumps(Evil(), protocol=2))
    n = int.from_bytes(data[:8], 'little'); head = json.loads(data[8:8 + n])
    meta = json.loads(head['__metadata__']['gender_fastai.safe']); meta['format_version'] = 7
    head['__metadata__']['gender_fastai.safe'] = json.dumps(meta); hb = json.dumps(head).encode()
    (tmp_path/'future.safetensors').write_bytes(len(hb).to_bytes(8, 'little') + hb + data[8 + n:])
    cases = {'trunc': 'damaged or truncated', 'garbage': 'damaged or not a safetensors file',
             'evil': 'is a pickle (a fastai export), not the safe format', 'future': 'in model format 7; this version'}
    for name, msg in cases.items():
        r = run('gender_fastai_predict', '--model', tmp_path/f'{name}.safetensors', val_files[0])
        assert r.returncode == 2 and r.stderr.count('\n') == 1 and msg in r.stderr, (name, r.stderr)
    assert not marker.exists()

def test_export_command_converts(model, val_files, tmp_path):
    for out in ('m.safetensors', 'm.onnx'):
        r = run('gender_fastai_export', model[0], tmp_path/out)
        assert r.returncode == 0, r.stderr
    ref = predict_files(load_model(model[0]), val_files, progress=False)
    for out in ('m.safetensors', 'm.onnx'):
        got = predict_files(open_model(tmp_path/out), val_files, progress=False)
        assert got.label.tolist() == ref.label.tolist() and (got.probability - ref.probability).abs().max() <= 1e-4
    from gender_fastai.modelfile import read_safe, trained_digests
    import onnx
    assert len(trained_digests(read_safe(tmp_path/'m.safetensors')[1])) == 120  # the record of its training images travels on (60 per class)
    assert 'trained_on' not in onnx.load(tmp_path/'m.onnx').metadata_props[0].value  # an ONNX file predicts only: no record
    r = run('gender_fastai_export', model[0], tmp_path/'bare.safetensors', '--no_record')
    assert r.returncode == 0 and 'trained_on' not in read_safe(tmp_path/'bare.safetensors')[1], r.stderr
    r = run('gender_fastai_export', tmp_path/'m.safetensors', tmp_path/'bare.pkl', '--no_record')  # from a file that has one: no copy of it left in the pickle
    bare = load_model(tmp_path/'bare.pkl')
    assert r.returncode == 0 and bare.trained_on is False and 'trained_on' not in bare.meta, r.stderr
    assert load_model(tmp_path/'bare.safetensors').trained_on is False  # no record: unknown, even after more training
    r = run('gender_fastai_export', model[0], tmp_path/'m.h5')
    assert r.returncode == 2 and 'ending in .safetensors, .onnx, .pkl' in r.stderr
