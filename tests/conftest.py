import shutil, pytest
from helpers import run
from pathlib import Path
from gender_fastai.core import sample_data, image_files

@pytest.fixture(scope='session')
def gender_path(): return sample_data('gender-sample')

@pytest.fixture(scope='session')
def small_dataset(tmp_path_factory, gender_path):
    "A Training/ + Validation/ copy of 60 + 30 real images per class"
    root = tmp_path_factory.mktemp('small')
    for split, n in (('Training', 60), ('Validation', 30)):
        for lbl in ('female', 'male'):
            (root/split/lbl).mkdir(parents=True)
            for f in image_files(gender_path/split/lbl)[:n]: shutil.copy(f, root/split/lbl/f.name)
    return root

@pytest.fixture(scope='session')
def model(small_dataset, tmp_path_factory):
    "A ResNet9 trained for 2 epochs on `small_dataset` by the console script: (path, stdout)"
    out = tmp_path_factory.mktemp('model')/'model.pkl'
    r = run('gender_fastai_train', '--data', small_dataset, '--arch', 'resnet9', '--epochs', '2', '--bs', '40', '--out', out)
    assert r.returncode == 0, r.stderr
    return out, r.stdout


@pytest.fixture(scope='session')
def utk_small(tmp_path_factory):
    "200 UTKFace images"
    d = tmp_path_factory.mktemp('utk')
    for f in image_files(sample_data('utkface-sample'))[:200]: shutil.copy(f, d)
    return d

