"""The corpus of bad inputs: each case is generated here and its exact user-facing outcome asserted."""
import io, os, sys, csv, json, shutil, signal, struct, subprocess, time, warnings, zipfile, zlib
from pathlib import Path
import numpy as np, pandas as pd, pytest, requests
from PIL import Image
from gender_fastai.core import *
from gender_fastai.data import *
from gender_fastai.modelfile import GenderModelError
from gender_fastai.export import export_learner
from gender_fastai.inference import load_model, predict_files
from helpers import run

def img_bytes(im, fmt, **kw): b = io.BytesIO(); im.save(b, fmt, **kw); return b.getvalue()

def claim_size(png, w, h):
    "PNG bytes whose header claims `w` x `h` px (a decompression bomb's header)"
    ihdr = png[12:16] + struct.pack('>II', w, h) + png[24:29]
    return png[:12] + ihdr + struct.pack('>I', zlib.crc32(ihdr)) + png[33:]

@pytest.fixture(scope='module')
def face(gender_path): return Image.open(next((gender_path/'Validation'/'female').iterdir())).convert('RGB')

@pytest.fixture(scope='module')
def image_corpus(face, tmp_path_factory):
    "name -> (file, expected outcome): a label prediction ('ok') or the exact error text"
    d = tmp_path_factory.mktemp('images'); jpg = img_bytes(face, 'JPEG')
    exif = Image.Exif(); exif[0x0112] = 6
    files = {
        'zero-byte.jpg': b'', 'truncated.jpg': jpg[:len(jpg)//2], 'text.jpg': b'this is not an image\n',
        'alpha.png': img_bytes(face.convert('RGBA'), 'PNG'), 'grayscale.jpg': img_bytes(face.convert('L'), 'JPEG'),
        'palette.png': img_bytes(face.convert('P'), 'PNG'), 'cmyk.jpg': img_bytes(face.convert('CMYK'), 'JPEG'),
        '16-bit.png': img_bytes(Image.fromarray(np.asarray(face.convert('L'), np.uint16) * 257), 'PNG'),
        '1x1.png': img_bytes(face.resize((1, 1)), 'PNG'),
        'bomb.png': claim_size(img_bytes(face.resize((1, 1)), 'PNG'), 30_000, 30_000),
        'exif-rotated.jpg': img_bytes(face, 'JPEG', exif=exif),
        'animated.gif': img_bytes(face, 'GIF', save_all=True, append_images=[face.rotate(90)]),
        'my photo ü 写真.jpg': jpg}
    for k, v in files.items(): (d/k).write_bytes(v)
    errors = {'zero-byte.jpg': 'unreadable image (an empty file); remove or fix it.',
              'truncated.jpg': 'unreadable image (OSError: image file is truncated',
              'text.jpg': 'unreadable image (UnidentifiedImageError: cannot identify image file',
              'bomb.png': '900 MP is over the 64 MP limit (a decompression bomb?); resize it first.',
              '1x1.png': 'too small to show a face (1 x 1 px; the least is 12 px a side).'}
    return d, {k: errors.get(k, 'ok') for k in files}

def test_image_corpus_open_face(image_corpus, face):
    d, expected = image_corpus
    for name, outcome in expected.items():
        if outcome == 'ok':
            im = open_face(d/name)
            assert im.mode == 'RGB' and im.size == {'exif-rotated.jpg': face.size[::-1]}.get(name, face.size), name
        else:
            with pytest.raises(GenderDataError) as e: open_face(d/name)
            assert str(e.value).startswith(f"{d/name}: {outcome}"), (name, str(e.value))

def test_image_corpus_predict_cli(image_corpus, model, tmp_path):
    d, expected = image_corpus
    r = run('gender_fastai_predict', model[0], d, '--csv', tmp_path/'out.csv')
    assert r.returncode == 1  # some files were unreadable; all were reported
    rows = {Path(row['file']).name: row for row in csv.DictReader(open(tmp_path/'out.csv', encoding='utf-8'))}
    assert set(rows) == set(expected)
    for name, outcome in expected.items():
        if outcome == 'ok': assert rows[name]['label'] in ('female', 'male') and not rows[name]['error'], name
        else: assert rows[name]['label'] == '' and rows[name]['error'].startswith(outcome), (name, rows[name]['error'])
    assert len(r.stdout.splitlines()) == len(expected)

def test_header_check_finds_bad_training_files(image_corpus):
    d, expected = image_corpus
    bad = {n for n in expected if unreadable(d/n)}
    assert bad == {'zero-byte.jpg', 'text.jpg', 'bomb.png', '1x1.png'}  # a truncated JPEG is found only when decoded: see test_cli

# Datasets ------------------------------------------------------------------------------------------------------

def tree(root, spec, gender_path):
    src = sorted((gender_path/'Validation'/'female').iterdir())
    for sub, n in spec.items():
        (root/sub).mkdir(parents=True, exist_ok=True)
        for f in src[:n]: shutil.copy(f, root/sub/f.name)
    return root

def test_empty_folder(tmp_path):
    with pytest.raises(GenderDataError, match='not a dataset layout I know'): load_items(tmp_path)

def test_one_class_only(tmp_path, gender_path):
    with pytest.raises(GenderDataError, match=r'the train split has only female images; it needs images of both female and male\.'):
        load_items(tree(tmp_path, {'Training/female': 4, 'Validation/female': 2}, gender_path))

def test_extra_class_folder(tmp_path, gender_path):
    with pytest.raises(GenderDataError, match=r"unexpected class folder\(s\) \['unknown'\]"):
        load_items(tree(tmp_path, {'train/female': 2, 'train/male': 2, 'train/unknown': 1}, gender_path))

def test_missing_validation_split_is_carved(tmp_path, gender_path):
    df = load_items(tree(tmp_path, {'Training/female': 10, 'Training/male': 10}, gender_path))
    assert df.split.value_counts().to_dict() == {'train': 16, 'valid': 4}

def test_duplicates_across_splits_reported(tmp_path, gender_path):
    root = tree(tmp_path, {'Training/female': 6, 'Training/male': 6, 'Validation/female': 2, 'Validation/male': 2}, gender_path)
    with pytest.warns(UserWarning, match=r'^4 validation image\(s\) are byte-identical to training images'):
        gender_dls(root, bs=4, stats=([0.5]*3, [0.25]*3))

def test_utkface_bad_names(tmp_path):
    for f in sorted(sample_data('utkface-sample').iterdir())[:10]: shutil.copy(f, tmp_path)
    (tmp_path/'25_1_20170116.jpg.chip.jpg').write_bytes(b'x'); (tmp_path/'25_1_0_2017 0116.jpg.chip.jpg').write_bytes(b'x')
    with pytest.warns(UserWarning, match=r'skipped 2 file\(s\) whose names are not age_gender_race_date\.jpg'):
        assert len(load_items(tmp_path)) == 10

@pytest.mark.parametrize('change, message', [
    ('missing', 'skipped 0 attribute row(s) without an image and 1 image(s) without a row'),
    ('extra', 'skipped 1 attribute row(s) without an image and 0 image(s) without a row')])
def test_celeba_attribute_rows(change, message, tmp_path):
    p = fake_celeba(tmp_path, n=8); attr = p/'list_attr_celeba.txt'
    lines = attr.read_text().splitlines()
    lines = lines[:-1] if change == 'missing' else lines + ['999999.jpg  1  1']
    attr.write_text('\n'.join(lines) + '\n')
    with pytest.warns(UserWarning, match=message.replace('(', r'\(').replace(')', r'\)')):
        assert len(load_items(p)) == (7 if change == 'missing' else 8)

# Models --------------------------------------------------------------------------------------------------------

def test_model_missing_truncated_untrusted(model, tmp_path):
    with pytest.raises(GenderModelError, match='no such model file'): load_model(tmp_path/'none.pkl')
    (tmp_path/'cut.pkl').write_bytes(model[0].read_bytes()[:10_000])
    with pytest.raises(GenderModelError, match='is not a gender_fastai model'): load_model(tmp_path/'cut.pkl', trust=True)
    shutil.copy(model[0], tmp_path/'copy.pkl')
    assert load_model(tmp_path/'copy.pkl').dls.vocab == CLASSES  # same bytes as a model exported here: trusted
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv('GENDER_FASTAI_CACHE', str(tmp_path/'other-machine'))  # a machine that never exported it
        with pytest.raises(GenderModelError, match='was not exported by gender_fastai on this machine'): load_model(tmp_path/'copy.pkl')
        assert load_model(tmp_path/'copy.pkl', trust=True).dls.vocab == CLASSES
        r = run('gender_fastai_predict', tmp_path/'copy.pkl', tmp_path/'none.jpg', env={'GENDER_FASTAI_CACHE': str(tmp_path/'other-machine')})
        assert r.returncode == 2 and r.stderr.startswith('gender_fastai_predict: error: ') and '--trust on the command line' in r.stderr

def test_model_with_other_classes(tmp_path, gender_path):
    from fastai.vision.all import DataBlock, ImageBlock, CategoryBlock, Learner, Resize, nn
    files = sorted((gender_path/'Validation'/'female').iterdir())[:6]
    dls = DataBlock((ImageBlock, CategoryBlock), get_y=lambda f: ['cat', 'dog', 'owl'][files.index(f) % 3], item_tfms=Resize(16),
                    splitter=lambda o: (list(range(3)), list(range(3, 6)))).dataloaders(files, bs=3)
    learn = Learner(dls, nn.Sequential(nn.Flatten(), nn.Linear(768, 3)))
    learn.export(tmp_path/'owl.pkl')
    with pytest.raises(GenderModelError, match='is a fastai file but not a female/male classifier'): load_model(tmp_path/'owl.pkl', trust=True)

# Downloads -----------------------------------------------------------------------------------------------------

class RawKaggle(FakeKaggleApi):
    "A Kaggle API fake that 'downloads' the given raw bytes as the zip"
    def __init__(self, raw): super().__init__(); self.raw = raw
    def dataset_download_files(self, slug, path, **kw): (Path(path)/'x.zip').write_bytes(self.raw)

def evil_zip():
    b = io.BytesIO()
    with zipfile.ZipFile(b, 'w') as z: z.writestr('ok/a.txt', 'a'); z.writestr('../../escaped.txt', 'x')
    return b.getvalue()

@pytest.mark.parametrize('api, message', [
    (FakeKaggleApi(error=requests.exceptions.ConnectionError('Failed to resolve www.kaggle.com')), 'Could not reach Kaggle to download cashutosh/gender-classification-dataset (no network?)'),
    (RawKaggle(b'PK\x03\x04 half a zip'), 'is not a complete zip archive'),
    (RawKaggle(evil_zip()), 'refusing to unpack 1 member(s) that would land outside')])
def test_download_failures_leave_nothing(api, message, tmp_path):
    with pytest.raises(GenderDataError) as e: download_kaggle('cashutosh/gender-classification-dataset', dest=tmp_path/'data'/'gcd', api=api)
    assert message in str(e.value)
    assert list((tmp_path/'data').iterdir()) == [] and not list(tmp_path.rglob('escaped.txt'))

def test_download_no_credentials(tmp_path):
    with pytest.MonkeyPatch.context() as mp:
        for k in ('KAGGLE_USERNAME', 'KAGGLE_KEY', 'KAGGLE_API_TOKEN'): mp.delenv(k, raising=False)
        mp.setenv('KAGGLE_CONFIG_DIR', str(tmp_path))
        with pytest.raises(GenderDataError, match=r'^No Kaggle credentials: create an API token'): download_kaggle('a/b', dest=tmp_path/'d')

# Interrupted training ------------------------------------------------------------------------------------------

def test_killed_run_resumes(small_dataset, tmp_path):
    out, ckpt = tmp_path/'m.pkl', tmp_path/'m.pkl.ckpt'
    cmd = [str(Path(sys.executable).parent/'gender_fastai_train'), '--data', str(small_dataset), '--epochs', '4', '--bs', '40', '--out', str(out)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, 'PYTHONWARNINGS': 'ignore'})
    seen = set(); t0 = time.time()
    while not ckpt.exists() and p.poll() is None and time.time() - t0 < 300:
        seen |= {f.name for f in tmp_path.iterdir()}; time.sleep(0.02)
    p.send_signal(signal.SIGKILL); p.wait()  # killed during epoch 2 (epoch 1's checkpoint has just been written)
    assert p.returncode == -signal.SIGKILL
    model_files = lambda names: {n for n in names if n == 'm.pkl' or (n.startswith('.m.pkl.') and not n.startswith('.m.pkl.ckpt.'))}
    assert not out.exists() and not model_files(seen)  # no model file, whole or partial, at any point
    assert all(n == 'm.pkl.ckpt' or n.startswith('.m.pkl.ckpt.') for n in os.listdir(tmp_path))
    before = [l.split() for l in p.stdout.read().splitlines() if l.startswith('epoch ')]
    r = run('gender_fastai_train', '--data', small_dataset, '--epochs', '4', '--bs', '40', '--out', out, '--resume')
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    done = int(lines[0].split()[3].split('/')[0])
    assert lines[0] == f"resuming after epoch {done}/4 from {ckpt}" and 1 <= done < 4
    assert [l.split()[1] for l in lines if l.startswith('epoch ')] == [f'{e}/4' for e in range(done + 1, 5)]
    assert lines[-2].startswith('final validation accuracy: ') and out.exists() and not ckpt.exists()
    hist = load_model(out).history
    assert len(hist) == 4  # the full history, across the interruption
    assert [f"{v:.4f}" for v in hist.train_loss[:done]] == [e[3] for e in before[:done]]  # restored from the checkpoint
