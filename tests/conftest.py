import shutil, pytest
from pathlib import Path
from gender_fastai.data import sample_data, image_files

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
