"End to end through the console scripts, each in a fresh process, as a user runs them."
import os, sys, subprocess, csv, json, pytest
from pathlib import Path
from helpers import run, BIN

def test_train_prints_epochs_and_exports(model):
    out, stdout = model
    lines = stdout.splitlines()
    assert [l.split()[1] for l in lines if l.startswith('epoch ')] == ['1/2', '2/2']
    assert 'accuracy' in lines[0] and 'valid_loss' in lines[0]
    acc = next(l for l in lines if l.startswith('final validation accuracy')).split()[3]
    assert acc == [l for l in lines if l.startswith('epoch 2/2')][0].split()[7] and '(60 images)' in stdout  # the last epoch's accuracy
    assert out.is_file() and not list(out.parent.glob('.*partial'))

def test_predict_files_folders_and_csv(model, gender_path, tmp_path):
    out, _ = model
    imgs = [gender_path/'Validation'/'female'/'112944.jpg.jpg', gender_path/'Validation'/'male']
    r = run('gender_fastai_predict', out, *imgs, '--csv', tmp_path/'preds.csv')
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1001
    label, prob, fn = lines[0].split(maxsplit=2)
    assert label in ('female', 'male') and 0.5 <= float(prob) <= 1 and fn.endswith('112944.jpg.jpg')
    rows = list(csv.DictReader(open(tmp_path/'preds.csv')))
    assert len(rows) == 1001 and list(rows[0]) == ['file', 'label', 'probability', 'error']

def test_predict_reports_unreadable_and_goes_on(model, gender_path, tmp_path):
    out, _ = model
    (tmp_path/'bad.jpg').write_bytes(b'not an image')
    r = run('gender_fastai_predict', out, tmp_path/'bad.jpg', gender_path/'Validation'/'female'/'112944.jpg.jpg')
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[0].startswith('error   unreadable image') and lines[0].endswith('bad.jpg')
    assert lines[1].split()[0] in ('female', 'male')

def test_predict_into_a_closed_pipe(gender_path):
    "A reader that stops reading (`gender_fastai_predict photos/ | head -1`): exit status 141, as a shell reports SIGPIPE, and no traceback"
    files = [str(f) for f in sorted((gender_path/'Validation'/'female').iterdir())[:2]]
    p = subprocess.Popen([str(BIN/'gender_fastai_predict'), *files], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.stdout.close()  # nothing will read its answers
    err = p.stderr.read(); p.wait(timeout=600)
    assert p.returncode == 141 and err == '', err

def test_exported_model_predicts_in_fresh_process(model, gender_path):
    out, _ = model
    code = ("from fastai.learner import load_learner; import sys; learn = load_learner(sys.argv[1]); "
            "lbl, idx, p = learn.predict(sys.argv[2]); print(lbl, int(idx), round(float(p.sum()), 4), list(learn.dls.vocab))")
    r = subprocess.run([sys.executable, '-W', 'ignore', '-c', code, str(out), str(gender_path/'Validation'/'male'/'063443.jpg.jpg')],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    lbl, idx, total, *_ = r.stdout.splitlines()[-1].split()  # fastai's predict draws a progress bar first
    assert lbl in ('female', 'male') and ['female', 'male'][int(idx)] == lbl and total == '1.0'
    assert r.stdout.strip().endswith("['female', 'male']")

@pytest.mark.parametrize('args, message', [
    (['--data', '/no/such/folder'], '/no/such/folder: no such folder'),
    (['--arch', 'resnet1000'], "Unknown architecture 'resnet1000'"),
    (['--size', '4'], '--size 4: use 16 px or more'),
    (['--out', '/tmp'], '--out /tmp is a folder'),
    (['--data', 'typo/faces'], 'typo/faces: no such local folder; as a Kaggle dataset: '),
    (['--occlude', '2'], 'occlude=2.0: it is the share of training images with an occluding rectangle, a number from 0 to 1'),
    (['--smooth', '1'], 'smooth=1.0: label smoothing is a number from 0 (off) to below 1'),
    (['--teacher', 'gender_transfer', '--distil', '2'], "distil=2.0: it is the teacher's weight in the training targets, a number from 0 to 1"),
    (['--teacher', '/no/such.safetensors'], '/no/such.safetensors: no such model file'),
    (['--teacher', ''], "--teacher '': name a model file or a bundled model"),
    (['--unfreeze', '-1'], 'unfreeze=-1.0: it is the body'),
    (['--arch', 'resnet9', '--unfreeze', '0.1'], 'unfreeze trains a frozen body with the head: resnet9 has none'),
    (['--distil', '0.3'], '--distil is the teacher\'s weight in the training targets: add --teacher MODEL'),
    (['--age_balance', '2'], 'age_balance=2.0: it is the exponent of the age balancing, a number from 0 (off) to 1'),
    (['--log', '/proc/runs.csv'], '--log /proc/runs.csv: its folder is not writable'),  # found after the training and its export, leaving a checkpoint that refused the next run
    (['--out', '/proc/m.pkl'], '--out /proc/m.pkl: its folder is not writable'),  # found after the first epoch
    (['--out', 'same.pkl', '--log', 'same.pkl'], "--log same.pkl is the model's own file"),
    (['--bs', '1'], "bs=1: transfer's head normalises each batch (batch norm)"),
    (['--split_seed', '-1'], 'split_seed=-1: the seed of the validation split is a whole number from 0 to 2**32 - 1'),
])
def test_train_bad_input_one_line(args, message, small_dataset):
    r = run('gender_fastai_train', *(['--data', small_dataset] if '--data' not in args else []), *args, '--epochs', '1')
    assert r.returncode == 2 and r.stdout == ''
    assert r.stderr.startswith('gender_fastai_train: error: ') and message in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr

def test_train_diverged_writes_nothing(tmp_path, small_dataset):
    "A run whose validation loss explodes (finite, not NaN) exports nothing and leaves nothing to resume"
    r = run('gender_fastai_train', '--data', small_dataset, '--arch', 'resnet9', '--epochs', '1', '--bs', '40', '--lr', '100', '--out', tmp_path/'m.pkl')
    assert r.returncode == 2 and 'the training diverged (train again with a lower --lr); nothing written.' in r.stderr, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ['runs.csv']  # the run is logged; no model, no checkpoint

def test_train_one_class_folder(tmp_path, small_dataset):
    import shutil
    shutil.copytree(small_dataset/'Training'/'female', tmp_path/'train'/'female')
    shutil.copytree(small_dataset/'Validation'/'female', tmp_path/'valid'/'female')
    r = run('gender_fastai_train', '--data', tmp_path, '--epochs', '1', '--out', tmp_path/'m.pkl')
    assert r.returncode == 2 and 'the train split has only female images' in r.stderr and len(r.stderr.splitlines()) == 1
    assert not (tmp_path/'m.pkl').exists()

def test_train_kaggle_without_credentials(tmp_path):
    r = run('gender_fastai_train', '--data', 'cashutosh/gender-classification-dataset',
            env={'KAGGLE_CONFIG_DIR': str(tmp_path), 'FASTAI_HOME': str(tmp_path/'fastai')}, unset=('KAGGLE_USERNAME', 'KAGGLE_KEY', 'KAGGLE_API_TOKEN'))
    assert r.returncode == 2, r.stderr
    assert 'No Kaggle credentials' in r.stderr and '~/.kaggle/kaggle.json' in r.stderr and len(r.stderr.splitlines()) == 1

def test_predict_bad_model_and_missing_image(model, tmp_path):
    (tmp_path/'fake.pkl').write_text('hello')  # not a pickle: said so before any word of trust
    for trust in ((), ('--trust',)):
        r = run('gender_fastai_predict', tmp_path/'fake.pkl', tmp_path, *trust)
        assert r.returncode == 2 and 'fake.pkl is not a model file' in r.stderr and len(r.stderr.splitlines()) == 1
    (tmp_path/'fake.pkl').write_bytes(b'PK\x03\x04' + b'hello')  # a zip archive, as fastai's export writes
    r = run('gender_fastai_predict', tmp_path/'fake.pkl', tmp_path)
    assert r.returncode == 2 and 'was not exported by gender_fastai on this machine' in r.stderr and len(r.stderr.splitlines()) == 1
    r = run('gender_fastai_predict', tmp_path/'fake.pkl', tmp_path, '--trust')
    assert r.returncode == 2 and 'is not a gender_fastai model' in r.stderr and len(r.stderr.splitlines()) == 1
    r = run('gender_fastai_predict', model[0], tmp_path/'missing.jpg')
    assert r.returncode == 2 and 'missing.jpg: no such file or folder' in r.stderr
    (tmp_path/'empty'/'sub').mkdir(parents=True); (tmp_path/'empty'/'sub'/'notes.txt').write_text('not an image')
    r = run('gender_fastai_predict', model[0], tmp_path/'empty')
    assert r.returncode == 2 and f"no images in {tmp_path/'empty'} (folders are searched" in r.stderr and len(r.stderr.splitlines()) == 1 and not r.stdout

def test_train_skips_and_names_bad_files_strict_stops(small_dataset, tmp_path):
    "A truncated JPEG, a zero-byte file and a text file named .jpg among good images: skipped, named in one warning, model exported"
    import shutil
    data = tmp_path/'data'; shutil.copytree(small_dataset, data)
    good = sorted((data/'Training'/'female').iterdir())[0].read_bytes()
    (data/'Training'/'female'/'cut.jpg').write_bytes(good[:len(good)//2])
    (data/'Training'/'male'/'empty.jpg').touch()
    (data/'Validation'/'male'/'text.jpg').write_text('this is not an image')
    r = run('gender_fastai_train', '--data', data, '--epochs', '1', '--bs', '40', '--out', tmp_path/'m.pkl')
    assert r.returncode == 0, r.stderr
    warns = [l for l in r.stderr.splitlines() if l.startswith('gender_fastai_train: warning: ')]
    assert len(warns) == 1 and warns[0].startswith('gender_fastai_train: warning: skipped 3 unreadable image(s): '), r.stderr
    assert all(n in warns[0] for n in ('cut.jpg (unreadable image (OSError: image file is truncated', 'empty.jpg', 'text.jpg')), warns
    assert (tmp_path/'m.pkl').is_file() and 'validation accuracy' in r.stdout.lower(), r.stdout
    r = run('gender_fastai_train', '--data', data, '--epochs', '1', '--bs', '40', '--out', tmp_path/'m2.pkl', '--strict')
    assert r.returncode == 2 and r.stderr.splitlines()[-1].startswith('gender_fastai_train: error: 3 unreadable image(s): '), r.stderr
    assert not (tmp_path/'m2.pkl').exists()

def test_evaluate_writes_report(model, utk_small, tmp_path):
    import json
    r = run('gender_fastai_evaluate', model[0], utk_small, '--out', tmp_path/'report', '--tta')  # no --split: all of a dataset it never trained on
    assert r.returncode == 0, r.stderr
    split, head, best, rep = r.stdout.splitlines()
    assert split == 'Split `all` (every image: the model trained on none of them). None of these 200 images is among the 120 the model trained on (compared byte for byte).', split
    assert head.startswith('200 images: accuracy ') and best.startswith('best subgroup ') and rep == f"report: {tmp_path/'report'}"
    files = sorted(p.name for p in (tmp_path/'report').iterdir())
    assert files == ['README.md', 'confusion.png', 'curves.png', 'metrics.json', 'predictions.csv', 'reliability.png', 'roc.png', 'subgroups.png', 'wrong.png']
    m = json.loads((tmp_path/'report'/'metrics.json').read_text())
    assert f"accuracy {m['metrics']['accuracy']:.4f}" in head and m['tta'] is True and m['split'] == 'all'
    assert m['metrics']['n'] == 200 and sum(map(sum, m['metrics']['confusion'])) == 200
    assert abs(m['metrics']['accuracy'] - (m['metrics']['confusion'][0][0] + m['metrics']['confusion'][1][1]) / 200) < 1e-9
    assert {g['kind'] for g in m['subgroups']} == {'gender', 'race x gender', 'age'}
    assert [p.name for p in tmp_path.iterdir()] == ['report']

def test_evaluate_bundled_model_by_name(small_dataset, tmp_path):
    "A bundled model by its name, as gender_fastai_predict --model takes it; the report's answers table on real crops"
    import pandas as pd
    r = run('gender_fastai_evaluate', 'gender_transfer', small_dataset, '--out', tmp_path/'report', '--turn')
    split, head = r.stdout.splitlines()[:2]
    assert r.returncode == 0 and head.startswith('60 images: accuracy '), r.stderr
    assert split == ("Split `valid` (the dataset's own validation split: the model trained on 120 of the dataset's 180 image files). None of these 60 images is among "  # its Training/ crops are copies of gender-sample's
                     "the 20,781 the model trained on (compared byte for byte)."), split
    pr = pd.read_csv(tmp_path/'report'/'predictions.csv')
    assert pr.turn.notna().all() and 'head turn' in (tmp_path/'report'/'metrics.json').read_text()  # --turn: the audit by head turn
    assert len(pr) == 60 and set(pr.label) == {'female', 'male'} and (pr.correct == (pr.pred == pr.label)).all()
    wrong = int((~pr.correct).sum())
    assert not pr.correct[:wrong].any() and pr.correct[wrong:].all()  # the wrong answers first
    assert 0 < wrong < 30 and f"{wrong} wrong answers of 60: " in (tmp_path/'report'/'README.md').read_text()  # 3 on these crops
    assert all(Path(f).is_absolute() and Path(f).is_file() for f in pr.file)  # readable from anywhere

def test_export_and_evaluate_by_name_and_onnx(small_dataset, tmp_path):
    "gender_fastai_export takes a bundled name; gender_fastai_evaluate takes the ONNX file it writes (the same answers as the model it came from); an ONNX file given to export is one clear line"
    r = run('gender_fastai_export', 'gender_transfer', tmp_path/'t.onnx')
    assert r.returncode == 0 and (tmp_path/'t.onnx').is_file(), r.stderr
    r = run('gender_fastai_export', tmp_path/'t.onnx', tmp_path/'t2.safetensors')
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1 and 'an ONNX model only predicts' in r.stderr, r.stderr
    acc = {}
    for m in (tmp_path/'t.onnx', 'gender_transfer'):
        out = tmp_path/f'report_{Path(m).suffix[1:] or "bundled"}'
        r = run('gender_fastai_evaluate', m, small_dataset, '--split', 'valid', '--out', out)
        assert r.returncode == 0 and (out/'metrics.json').is_file(), r.stderr
        acc[out.name] = json.loads((out/'metrics.json').read_text())['metrics']['accuracy']
    assert acc['report_onnx'] == acc['report_bundled'], acc
    assert sorted(p.name for p in tmp_path.iterdir()) == ['report_bundled', 'report_onnx', 't.onnx']

@pytest.mark.parametrize('case, message', [
    ('empty', 'not a dataset layout I know'),
    ('no_test', "No images to evaluate in the 'test' split"),
    ('bad_csv', "missing column 'file'"),
])
def test_evaluate_bad_input_one_line(case, message, model, small_dataset, tmp_path):
    (tmp_path/'empty').mkdir(); (tmp_path/'attrs.csv').write_text('name,age\na.jpg,3\n')
    args = {'empty': [tmp_path/'empty'], 'no_test': [small_dataset, '--split', 'test'],
            'bad_csv': [small_dataset, '--attrs', tmp_path/'attrs.csv']}[case]
    r = run('gender_fastai_evaluate', model[0], *args, '--out', tmp_path/'report')
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr
    assert not (tmp_path/'report').exists()

def test_train_on_two_sources(small_dataset, utk_small, tmp_path):
    "--data twice: the sources are merged, each judged on its own validation images, and the safe model file is written (with occluded training images and the age balancing too)"
    r = run('gender_fastai_train', '--data', small_dataset, '--data', utk_small, '--epochs', '1', '--bs', '40', '--occlude', '0.5', '--age_balance', '0.5', '--out', tmp_path/'m.safetensors')
    assert r.returncode == 0, r.stderr
    line = next(l for l in r.stdout.splitlines() if l.startswith('validation accuracy by source: '))
    assert f'{small_dataset.name} ' in line and f'{utk_small.name} ' in line, line
    assert f'{utk_small.name} ' in line and '(40)' in line and '(60)' in line, line  # 20% of 200 UTKFace images; 30 + 30 Validation/ images
    assert (tmp_path/'m.safetensors').is_file()
    import pandas as pd
    runs = pd.read_csv(tmp_path/'runs.csv')
    assert runs.arch.tolist() == ['transfer'] and runs.occlude.tolist() == [0.5] and runs.age_balance.tolist() == [0.5]  # the default architecture (learner.DEFAULT_ARCH); the options recorded

def test_train_with_teacher(small_dataset, tmp_path):
    "--teacher: a bundled model's probabilities are learnt with the labels, the teacher (network and weights digest) and --distil are recorded"
    r = run('gender_fastai_train', '--data', small_dataset, '--epochs', '1', '--bs', '40', '--teacher', 'gender_transfer', '--distil', '0.7', '--out', tmp_path/'m.safetensors', '--no_record')
    assert r.returncode == 0, r.stderr
    assert "the teacher's probabilities, computed once: 120 training images" in r.stdout, r.stdout
    from gender_fastai.modelfile import read_safe
    assert 'trained_on' not in read_safe(tmp_path/'m.safetensors')[1]  # --no_record: no record of its training images in the file
    import pandas as pd
    runs = pd.read_csv(tmp_path/'runs.csv')
    assert runs.distil.tolist() == [0.7] and runs.teacher[0].startswith('TransferNet ') and len(runs.teacher[0].split()[-1]) == 16, runs.teacher[0]

def test_predict_uncertain_below_threshold(model, gender_path, tmp_path):
    "--uncertain T: answers below T become `uncertain`, the others are unchanged"
    files = sorted((gender_path/'Validation'/'female').iterdir())[:20]
    plain = run('gender_fastai_predict', model[0], *files, '--csv', tmp_path/'a.csv')
    gated = run('gender_fastai_predict', model[0], *files, '--csv', tmp_path/'b.csv', '--uncertain', '0.9')
    assert plain.returncode == 0 and gated.returncode == 0, gated.stderr
    import pandas as pd
    a, b = pd.read_csv(tmp_path/'a.csv'), pd.read_csv(tmp_path/'b.csv')
    low = a.probability < 0.9
    assert (b.label[low] == 'uncertain').all() and (b.label[~low] == a.label[~low]).all()
    assert sum(l.startswith('uncertain') for l in gated.stdout.splitlines()) == low.sum()

def test_predict_int8(gender_path, tmp_path):
    "--int8: the bundled models from their stored calibrations (the face model's is onnxruntime's), nearly the float answers; a model without one is refused in one line"
    files = sorted((gender_path/'Validation'/'female').iterdir())[:30] + sorted((gender_path/'Validation'/'male').iterdir())[:30]
    import pandas as pd
    for m in ('gender_resnet9', 'gender_transfer', 'gender_faceresnet'):
        alone = ['--no_screen'] if m == 'gender_faceresnet' else []  # the face model's own int8 network, not the screen's
        f32 = run('gender_fastai_predict', '--model', m, *alone, *files, '--csv', tmp_path/'f32.csv')
        i8 = run('gender_fastai_predict', '--model', m, *alone, '--int8', *files, '--csv', tmp_path/'i8.csv')
        assert f32.returncode == 0 and i8.returncode == 0, i8.stderr
        a, b = pd.read_csv(tmp_path/'f32.csv'), pd.read_csv(tmp_path/'i8.csv')
        assert (a.label != b.label).sum() <= 1 and (a.probability - b.probability).abs().mean() < 0.01, m
        assert not (a.probability == b.probability).all()  # the int8 network really ran
    from gender_fastai.inference import load_safe, bundled_model_path
    from gender_fastai.export import save_model
    plain = save_model(load_safe(bundled_model_path('gender_resnet9')), tmp_path/'plain.safetensors', int8=False)
    r = run('gender_fastai_predict', '--model', plain, '--int8', files[0])
    assert r.returncode == 2 and 'has no int8 calibration' in r.stderr and 'Traceback' not in r.stderr, r.stderr

def test_predict_many_paths_on_the_command_line(gender_path, tmp_path):
    "A shell glob of a big folder: 1,500 paths as arguments (onnxruntime 1.30's import crashed from about 1,000; it is imported on a thread with a large stack)"
    files = sorted((gender_path/'Validation'/'female').iterdir()) + sorted((gender_path/'Validation'/'male').iterdir())[:500]
    r = run('gender_fastai_predict', '--model', 'gender_resnet9', *files, env={'GENDER_FASTAI_CACHE': str(tmp_path)})  # a cold cache: onnxruntime is imported to be timed
    assert r.returncode == 0, r.stderr[-500:]
    assert len(r.stdout.splitlines()) == 1500

def test_predict_fp32(gender_path, tmp_path):
    "The default face model: bf16 where this CPU runs it faster (unsure faces in float32), or float32 only with --fp32; the same labels, probabilities within 1e-2"
    import pandas as pd
    from gender_fastai.inference import open_model, bf16_network, BF16_TOLERANCE, BF16_MIN_BATCH, TRACE_AFTER
    files = sorted((gender_path/'Validation'/'female').iterdir())[:40] + sorted((gender_path/'Validation'/'male').iterdir())[:40]  # a job of TRACE_AFTER files or more: its graphs (bf16's too) are built
    a, b = (run('gender_fastai_predict', '--no_screen', '--bs', '10', *flag, *files, '--csv', tmp_path/f'{n}.csv') for n, flag in (('fp32', ['--fp32']), ('auto', [])))  # the face model on every file
    assert a.returncode == 0 and b.returncode == 0, b.stderr
    a, b = pd.read_csv(tmp_path/'fp32.csv'), pd.read_csv(tmp_path/'auto.csv')
    assert (a.label == b.label).all() and (a.probability - b.probability).abs().max() <= BF16_TOLERANCE
    if bf16_network(open_model()) is not None and min(10, -(-len(files) // (os.cpu_count() or 1))) >= BF16_MIN_BATCH and len(files) >= TRACE_AFTER:  # bf16 chosen on this CPU, batches large enough
        assert not (a.probability == b.probability).all()  # it really ran

def test_predict_screened(gender_path, tmp_path):
    "The default model's crops screened by the fast gender_transfer (its sure answers stand), or all through the face model with --no_screen: what the Python API gives either way"
    import pandas as pd
    from gender_fastai.inference import open_model, predict_files
    files = sorted((gender_path/'Validation'/'female').iterdir())[:15] + sorted((gender_path/'Validation'/'male').iterdir())[:15]
    a, b = (run('gender_fastai_predict', *flag, *files, '--csv', tmp_path/f'{n}.csv') for n, flag in (('screened', []), ('alone', ['--no_screen'])))
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    a, b = pd.read_csv(tmp_path/'screened.csv'), pd.read_csv(tmp_path/'alone.csv')
    m = open_model()
    for res, screen in ((a, 'auto'), (b, None)):
        here = predict_files(m, files, progress=False, screen=screen)
        assert (res.label == here.label).all() and (res.probability - here.probability).abs().max() < 1e-2
    assert not (a.probability == b.probability).all()  # other answers: gender_transfer's where it was sure

def test_train_split_seed(utk_small, tmp_path):
    "--split_seed draws the random validation split (kept in the export, for evaluation); --seed seeds only the training"
    from gender_fastai.inference import load_model
    r = run('gender_fastai_train', '--data', utk_small, '--arch', 'resnet9', '--epochs', '1', '--bs', '40', '--seed', '3', '--split_seed', '7', '--out', tmp_path/'m.safetensors')
    assert r.returncode == 0, r.stderr
    assert 'final validation accuracy: ' in r.stdout and '(40 images)' in r.stdout, r.stdout
    assert load_model(tmp_path/'m.safetensors').split == dict(seed=7, valid_pct=0.2)  # in the safe format's header too
    r = run('gender_fastai_train', '--data', utk_small, '--arch', 'resnet9', '--epochs', '1', '--bs', '40', '--seed', '3', '--out', tmp_path/'m2.pkl')
    assert r.returncode == 0 and load_model(tmp_path/'m2.pkl').split == dict(seed=42, valid_pct=0.2), r.stderr

def test_predict_without_fastai_or_torchvision(gender_path):
    "The console script predicts from safe-format models without importing fastai or torchvision (with torch._dynamo and scikit-learn behind them, most of a start-up: one crop 7.7 against 2.5 s, bench/startup.py), and a crop the fast model is sure of without torch (0.3-0.4 s)"
    f = gender_path/'Validation'/'female'/'112944.jpg.jpg'  # gender_transfer is sure of it: 0.9992
    code = ("import os, sys, runpy; script = sys.argv[1]; sys.argv = sys.argv[1:]\n"  # the console script itself, then which modules it imported
            "def imported(): print('imported:', *(m for m in ('torch', 'fastai', 'torchvision', 'facenet_pytorch', 'pandas') if m in sys.modules), file=sys.stderr, flush=True)\n"
            "real_exit = os._exit; os._exit = lambda code: (print('quick exit', file=sys.stderr), imported(), real_exit(code))\n"  # the script ends without the interpreter's teardown (`cli.quick_exit`)
            "try: runpy.run_path(script, run_name='__main__')\nfinally: imported()")
    for args, want in (([f], ''), (['--model', 'gender_transfer', f], ''), (['--no_screen', f], 'torch pandas'), (['--faces', f], 'torch pandas'),
                       (['--model', 'gender_resnet9', '--int8', f], 'torch pandas')):
        r = subprocess.run([sys.executable, '-W', 'ignore', '-c', code, str(BIN/'gender_fastai_predict'), *map(str, args)], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0 and r.stdout.startswith('female') and r.stderr.strip().endswith(f'imported: {want}'.strip()) and 'quick exit' in r.stderr, (args, r.stdout, r.stderr[-500:])

def test_predict_quick_answers_as_the_api(gender_path, tmp_path):
    "A few crops: the fast model's sure answers come from numpy before torch is imported (quick.quick_predict), the rest from the Python API; together the API's answers, in order, in every output"
    import json, pandas as pd
    from gender_fastai.inference import open_model, predict_files
    files = sorted((gender_path/'Validation'/'female').iterdir())[:5] + sorted((gender_path/'Validation'/'male').iterdir())[8:10]  # the fast model is unsure of the 5th and the last
    (tmp_path/'bad.jpg').write_bytes(b'not an image'); files.insert(2, tmp_path/'bad.jpg')
    from gender_fastai.quick import quick_predict
    listed, q = quick_predict(files); assert listed == files and any(q) and sum(r is None for r in q) >= 2, q  # both kinds of answer: numpy's (sure crops) and the API's (the rest)
    r = run('gender_fastai_predict', *files, '--json', '--csv', tmp_path/'q.csv', '--uncertain', '0.995')
    assert r.returncode == 1, r.stderr  # the unreadable file
    got, api = json.loads(r.stdout), predict_files(open_model(), files, progress=False)
    assert [g['file'] for g in got] == list(api.file) and [g['error'] for g in got] == list(api.error)
    ok = api.error == ''
    assert [g['label'] for g in got] == [('uncertain' if p < 0.995 else l) if e == '' else None for l, p, e in zip(api.label, api.probability, api.error)]  # no label for an error: null, as with --faces
    assert max(abs(g['probability'] - p) for g, p, e in zip(got, api.probability, api.error) if e == '') < 1e-5
    assert got[2]['probability'] is None and got[2]['error'].startswith('unreadable image')
    csv_ = pd.read_csv(tmp_path/'q.csv')
    assert list(csv_.columns) == ['file', 'label', 'probability', 'error'] and (csv_.probability[ok] - api.probability[ok]).abs().max() < 1e-5
    lines = run('gender_fastai_predict', *files).stdout.splitlines()
    assert [l.split()[0] for l in lines] == [l if e == '' else 'error' for l, e in zip(api.label, api.error)]

def test_evaluate_several_datasets(model, utk_small, small_dataset, tmp_path):
    "Two datasets in one report: each its own split (all of one the model never saw; the validation split of the one it trained on) and figures"
    import json
    r = run('gender_fastai_evaluate', model[0], utk_small, small_dataset, '--out', tmp_path/'report')
    assert r.returncode == 0, r.stderr
    utk, small, head = r.stdout.splitlines()[:3]
    assert utk.startswith(f"{utk_small.name} (200 images, accuracy ") and 'Split `all` (every image: the model trained on none of them)' in utk, utk
    assert small.startswith(f"{small_dataset.name} (60 images, accuracy ") and "Split `valid` (the dataset's own validation split: the model trained on 120 of the dataset's 180 image files)" in small, small
    assert head.startswith('260 images: accuracy '), head
    m = json.loads((tmp_path/'report'/'metrics.json').read_text())
    assert m['split'] == 'per source' and {n: p['n'] for n, p in m['sources'].items()} == {utk_small.name: 200, small_dataset.name: 60}
    assert {g['group'] for g in m['subgroups'] if g['kind'] == 'source'} == {utk_small.name, small_dataset.name}

def test_train_refuses_a_log_that_is_not_one(small_dataset, tmp_path):
    "--log naming a file that is not a log of runs (a CSV of labels), or runs.csv beside --out being one: refused before training, the file as it was"
    labels = 'file,label\na.jpg,female\n'
    (tmp_path/'labels.csv').write_text(labels); (tmp_path/'runs.csv').write_text(labels)
    for log in (['--log', tmp_path/'labels.csv'], []):
        r = run('gender_fastai_train', '--data', small_dataset, '--arch', 'resnet9', '--epochs', '1', '--bs', '40', '--out', tmp_path/'m.pkl', *log)
        assert r.returncode == 2 and r.stdout == '' and len(r.stderr.splitlines()) == 1, r.stderr
        assert f"{log[-1] if log else tmp_path/'runs.csv'} is not a log of training runs" in r.stderr, r.stderr
    assert (tmp_path/'labels.csv').read_text() == labels and (tmp_path/'runs.csv').read_text() == labels and not (tmp_path/'m.pkl').exists()

def test_predict_error_rows_have_no_label(model, gender_path, tmp_path):
    "An unreadable file's row: label null in JSON, with --faces or without (it was \"\" without); an empty cell in the CSV"
    out, _ = model
    (tmp_path/'bad.jpg').write_bytes(b'not an image')
    good = gender_path/'Validation'/'female'/'112944.jpg.jpg'
    for faces in ([], ['--faces']):
        r = run('gender_fastai_predict', out, tmp_path/'bad.jpg', good, '--json', '--csv', tmp_path/'p.csv', *faces)
        assert r.returncode == 1, r.stderr
        rows = json.loads(r.stdout)
        assert rows[0]['label'] is None and rows[0]['probability'] is None and rows[0]['error'].startswith('unreadable image'), rows
        assert rows[-1]['file'].endswith('112944.jpg.jpg') and (rows[-1]['label'] in ('female', 'male') or rows[-1]['error'] == 'no face found'), rows
        bad = next(csv.DictReader(open(tmp_path/'p.csv')))
        assert bad['label'] == '' and bad['probability'] == '' and bad['error'].startswith('unreadable image'), bad

def test_predict_missing_paths_and_broken_links_are_rows(model, gender_path, tmp_path):
    "A path that does not exist among others, and a broken link in a folder: an error row each, in its place, the others predicted (exit status 1, as for an unreadable file), with --faces too; no path there at all: one line (exit status 2)"
    out, _ = model
    good = gender_path/'Validation'/'female'/'112944.jpg.jpg'
    d = tmp_path/'photos'; d.mkdir(); (d/'a.jpg').write_bytes(good.read_bytes()); (d/'b.jpg').symlink_to(tmp_path/'moved.jpg')
    for faces in ([], ['--faces']):
        r = run('gender_fastai_predict', out, d, tmp_path/'missing.jpg', good, '--json', '--csv', tmp_path/'p.csv', *faces)
        assert r.returncode == 1, r.stderr
        rows = json.loads(r.stdout)
        assert [Path(x['file']).name for x in rows] == ['a.jpg', 'b.jpg', 'missing.jpg', '112944.jpg.jpg'], rows
        assert rows[1]['error'] == f"broken link (to {tmp_path/'moved.jpg'}); remove or fix it." and rows[2]['error'] == 'no such file or folder', rows
        assert all(x['label'] is None and x['probability'] is None for x in rows[1:3]) and list(rows[1]) == list(rows[0]), rows
        assert rows[0]['label'] == rows[3]['label'] and rows[0]['label'] in ('female', 'male'), rows
        assert [x['file'] for x in csv.DictReader(open(tmp_path/'p.csv'))] == [x['file'] for x in rows]
    r = run('gender_fastai_predict', out, tmp_path/'missing.jpg', d/'b.jpg')
    assert r.returncode == 2 and r.stderr == f"gender_fastai_predict: error: {tmp_path/'missing.jpg'}: no such file or folder.\n" and not r.stdout, r.stderr

def test_train_best_reports_the_kept_epoch(small_dataset, tmp_path):
    "--best: the accuracy printed at the end is that of the epoch whose weights are exported (the lowest validation loss), not the last epoch's"
    r = run('gender_fastai_train', '--data', small_dataset, '--arch', 'resnet9', '--epochs', '3', '--bs', '40', '--best', '--out', tmp_path/'m.safetensors')
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines(); epochs = [l.split() for l in lines if l.startswith('epoch ')]
    assert [e[1] for e in epochs] == ['1/3', '2/3', '3/3'] and all(e[4] == 'valid_loss' and e[6] == 'accuracy' for e in epochs), lines
    kept = min(epochs, key=lambda e: float(e[5]))
    line = next(l for l in lines if l.startswith('validation accuracy of the kept epoch (--best: its lowest validation loss): '))
    assert line.rsplit(': ', 1)[1].split()[0] == kept[7] and not any(l.startswith('final validation accuracy') for l in lines), (line, epochs)
