"Acceptance of the architectures: each trains on real faces, exports, and predicts the same in a fresh process."
import pandas as pd, pytest, torch
from helpers import run
from gender_fastai.core import image_files
from gender_fastai.learner import ARCHS, train_model
from gender_fastai.export import export_learner, save_model, export_onnx
from gender_fastai.inference import predict_files, predict_probs, load_safe, OnnxModel, bundled_model_path

@pytest.mark.parametrize('arch', list(ARCHS))
def test_arch_trains_exports_and_predicts_in_fresh_process(arch, small_dataset, tmp_path):
    learn = train_model(small_dataset, arch, epochs=1, bs=40, log=tmp_path/'runs.csv')
    acc = float(learn.recorder.values[-1][2])  # train_loss, valid_loss, accuracy, error_rate
    assert 0 <= acc <= 1
    path = export_learner(learn, tmp_path/f'{arch}.pkl')
    files = image_files(small_dataset/'Validation'/'female')[:4] + image_files(small_dataset/'Validation'/'male')[:4]
    here = predict_files(learn, files, bf16=False)  # float32: the formats are compared to 1e-4 (bf16 is within 1e-2: nbs/07_inference)
    r = run('gender_fastai_predict', path, *files, '--fp32', '--csv', tmp_path/'p.csv')
    assert r.returncode == 0, r.stderr
    there = pd.read_csv(tmp_path/'p.csv')
    assert there.label.tolist() == here.label.tolist()
    assert (there.probability - here.probability).abs().max() < 1e-4
    assert pd.read_csv(tmp_path/'runs.csv').arch.tolist() == [arch]
    # the safe format and ONNX round trips, in a fresh process too
    safe, onnx = save_model(learn, tmp_path/f'{arch}.safetensors'), export_onnx(learn, tmp_path/f'{arch}.onnx')
    ref = predict_probs(learn, files, bf16=False)
    assert torch.equal(predict_probs(load_safe(safe), files, bf16=False), ref)
    assert (predict_probs(OnnxModel(onnx), files) - ref).abs().max() <= 1e-4
    for m in (safe, onnx):
        r = run('gender_fastai_predict', '--model', m, *files, '--fp32', '--csv', tmp_path/'q.csv')
        assert r.returncode == 0, r.stderr
        q = pd.read_csv(tmp_path/'q.csv')
        assert q.label.tolist() == here.label.tolist() and (q.probability - here.probability).abs().max() <= 1e-4

@pytest.fixture(scope='module')
def alexnet_weights(tmp_path_factory):
    "A local AlexNet weights file (randomly initialised: torchvision's download is out of reach), 233 MB: written once"
    import torchvision
    torch.save(torchvision.models.alexnet().state_dict(), out := tmp_path_factory.mktemp('alexnet')/'alexnet.pth')
    return out

def test_cli_trains_alexnet_from_local_weights(small_dataset, tmp_path, alexnet_weights):
    r = run('gender_fastai_train', '--data', small_dataset, '--arch', 'alexnet', '--weights', alexnet_weights,
            '--epochs', '1', '--bs', '40', '--out', tmp_path/'a.pkl')
    assert r.returncode == 0, r.stderr
    assert 'final validation accuracy' in r.stdout and (tmp_path/'a.pkl').is_file()
    runs = pd.read_csv(tmp_path/'runs.csv')
    assert runs.arch.tolist() == ['alexnet'] and runs.weights[0].endswith('alexnet.pth') and runs['size'][0] == 64

@pytest.mark.parametrize('args, message', [
    (['--arch', 'lenet'], "Unknown architecture 'lenet': choose one of resnet9, alexnet"),
    (['--arch', 'alexnet', '--size', '32'], 'alexnet needs images of 63 px or more, not 32: use size=64'),
    (['--arch', 'alexnet', '--weights', 'no/such.pth'], 'no/such.pth: no such weights file'),
    (['--arch', 'skipcnn', '--width', '8'], "skipcnn does not take 'width'"),
    (['--arch', 'resnet9', '--width', '16,32'], '--width 16,32: give one positive whole number (e.g. 20) or four'),
    (['--width', '16'], "--width is ResNet9's option: add --arch resnet9 (the default architecture is transfer)"),
    (['--arch', 'transfer', '--backbone', 'vgg'], "Unknown backbone 'vgg'"),
    (['--weights', 'DEFAULT'], "--weights is AlexNet's option: add --arch alexnet or --backbone alexnet"),
    (['--arch', 'transfer', '--backbone', str(bundled_model_path('gender_faceresnet'))], 'a faceresnet model works on aligned face chips'),
])
def test_arch_mistakes_one_line(args, message, small_dataset, tmp_path):
    r = run('gender_fastai_train', '--data', small_dataset, '--epochs', '1', '--bs', '40', '--out', tmp_path/'m.pkl', *args)  # --bs under the training images: no warning line
    assert r.returncode == 2 and r.stderr.count('\n') == 1 and message in r.stderr, r.stderr
    assert not (tmp_path/'m.pkl').exists()

def test_any_model_of_the_library_or_imagenet_alexnet_as_frozen_backbone(model, small_dataset, tmp_path, alexnet_weights):
    "A trained ResNet9 file, a file of the default architecture, and AlexNet from a local ImageNet-shaped weights file, as frozen bodies with a new head"
    from gender_fastai.data import dls_stats
    from gender_fastai.inference import load_model
    resnet = load_model(model[0])
    learn = train_model(small_dataset, 'transfer', epochs=1, bs=40, backbone_source=str(model[0]))
    assert dls_stats(learn.dls) == dls_stats(resnet.dls)  # the backbone's own normalisation
    body = dict(learn.model.body.state_dict())
    convs = {k: v for k, v in body.items() if v.dim() == 4}
    assert len(convs) == 8 and all(torch.equal(v, resnet.model.state_dict()[k]) for k, v in convs.items())  # frozen (fastai's freeze still trains batch norm)
    from gender_fastai.export import save_model
    tf = save_model(train_model(small_dataset, epochs=1, bs=40), tmp_path/'default.safetensors')  # a model of the default architecture (transfer) as a body
    learn = train_model(small_dataset, 'transfer', epochs=1, bs=40, backbone_source=str(tf))
    from gender_fastai.models import n_features
    assert n_features(learn.model.body, 32) == 128 and len(learn.recorder.values) == 1  # its body and hidden layer
    from gender_fastai.inference import predict_probs, image_paths
    sf, files = save_model(learn, tmp_path/'on_file.safetensors'), image_paths(small_dataset)[:8]
    assert torch.equal(predict_probs(load_model(sf, learner=False), files), predict_probs(load_model(sf), files))  # rebuilt on its backbone file, without fastai's learner or with it
    want = predict_probs(load_model(sf, learner=False), files)
    tf.rename(tmp_path/'moved.safetensors')  # its file keeps the backbone's structure: it rebuilds without that file
    assert torch.equal(predict_probs(load_model(sf, learner=False), files), want) and torch.equal(predict_probs(load_model(sf), files), want)
    import json
    from safetensors.torch import load_file, save_file
    from gender_fastai.modelfile import GenderModelError, read_safe, SAFE_FORMAT
    meta = read_safe(sf)[1]; assert meta['backbone']['arch'] == 'transfer' and meta['arch_kwargs']['backbone_source'] == str(tf)
    old = tmp_path/'older.safetensors'  # a file written before the backbone's structure was kept: it still needs that file
    save_file(load_file(sf), str(old), metadata={SAFE_FORMAT: json.dumps({k: v for k, v in meta.items() if k != 'backbone'})})
    for learner in (True, False):
        with pytest.raises(GenderModelError, match='backbone model file .* is missing|Unknown backbone'): load_model(old, learner=learner)
    (tmp_path/'moved.safetensors').rename(tf)
    assert torch.equal(predict_probs(load_model(old, learner=False), files), want)
    on_old = save_model(train_model(small_dataset, 'transfer', epochs=1, bs=40, backbone_source=str(old)), tmp_path/'on_old.safetensors')  # built on the older file: its description made whole from the files
    want = predict_probs(load_model(on_old, learner=False), files)
    assert read_safe(on_old)[1]['backbone']['backbone']['arch'] == 'transfer'
    tf.rename(tmp_path/'moved.safetensors')
    assert torch.equal(predict_probs(load_model(on_old, learner=False), files), want) and torch.equal(predict_probs(load_model(on_old), files), want)
    sd, meta = load_file(on_old), read_safe(on_old)[1]
    deep = meta['backbone']
    for _ in range(9): deep = {**meta['backbone'], 'backbone': deep}
    bad = tmp_path/'bad.safetensors'  # damaged descriptions of its backbone: one clear line each
    for damaged in ('hello', ['resnet9'], {'arch': 'resnet9'}, deep, {**meta['backbone'], 'arch_kwargs': {'hidden': 10**6}}):  # the last: a network of gigabytes asked for
        save_file(sd, str(bad), metadata={SAFE_FORMAT: json.dumps({**meta, 'backbone': damaged})})
        for learner in (True, False):
            with pytest.raises(GenderModelError, match=r"^\S+bad.safetensors: (cannot rebuild .*(description of a backbone is damaged|nest more than 8 deep|hidden=1000000 is over 4096)|its description's backbone \(.*\) is damaged)"): load_model(bad, learner=learner)
    loop = tmp_path/'loop.safetensors'  # a damaged file whose backbone is itself: one clear error, not a recursion
    save_file(load_file(sf), str(loop), metadata={SAFE_FORMAT: json.dumps({**{k: v for k, v in meta.items() if k != 'backbone'}, 'arch_kwargs': {'backbone_source': str(loop)}})})
    for learner in (True, False):
        with pytest.raises(GenderModelError, match=r'^\S+loop.safetensors: cannot rebuild .*the file itself or built on it'): load_model(loop, learner=learner)
    learn = train_model(small_dataset, 'transfer', size=64, epochs=1, bs=40, backbone_source='alexnet', weights=str(alexnet_weights))
    assert len(learn.recorder.values) == 1 and learn.model.body[0] is not None

def test_a_model_file_cannot_grant_its_backbone_trust(small_dataset, tmp_path):
    "A transfer model on a pickle backbone from elsewhere: read with the trainer's trust=True, but its saved file does not carry that trust: the loader gives it or not"
    from gender_fastai.export import save_model
    from gender_fastai.inference import load_model
    from gender_fastai.modelfile import GenderModelError, read_safe
    body = train_model(small_dataset, 'resnet9', epochs=1, bs=40)
    body.export(tmp_path/'elsewhere.pkl')  # fastai's own export: not marked as trusted on this machine
    with pytest.warns(UserWarning, match='does not record which images it trained on'):
        learn = train_model(small_dataset, 'transfer', epochs=1, bs=40, backbone_source=str(tmp_path/'elsewhere.pkl'), trust=True)
        sf = save_model(learn, tmp_path/'m.safetensors')
    meta = read_safe(sf)[1]
    assert 'trust' not in meta['arch_kwargs'] and 'trained_on' not in meta  # its body's training images unknown: no record at all
    import json, unittest.mock
    from safetensors.torch import load_file, save_file
    from gender_fastai.modelfile import SAFE_FORMAT
    no = AssertionError('read a pickle')
    with unittest.mock.patch('gender_fastai.inference.load_pickle', side_effect=no), unittest.mock.patch('gender_fastai.learner.load_pickle', side_effect=no):
        for learner in (True, False): assert load_model(sf, learner=learner) is not None  # the backbone's structure is in the file: no pickle is read, no trust asked
    old = tmp_path/'older.safetensors'  # as files were written before: its backbone read from that pickle
    save_file(load_file(sf), str(old), metadata={SAFE_FORMAT: json.dumps({k: v for k, v in meta.items() if k != 'backbone'})})
    for learner in (True, False):
        with pytest.raises(GenderModelError, match='not exported by gender_fastai on this machine'): load_model(old, learner=learner)
        assert load_model(old, learner=learner, trust=True) is not None

def test_onnx_file_as_backbone_one_line(small_dataset, tmp_path):
    "An ONNX file (gender_fastai_export's) as --backbone: one line saying what a backbone can be, before the file is read (it is no pickle to --trust)"
    r = run('gender_fastai_export', 'gender_transfer', tmp_path/'t.onnx')
    assert r.returncode == 0, r.stderr
    r = run('gender_fastai_train', '--data', small_dataset, '--backbone', tmp_path/'t.onnx', '--epochs', '1', '--bs', '40', '--out', tmp_path/'m.pkl')
    assert r.returncode == 2 and r.stderr.count('\n') == 1 and r.stdout == '', r.stderr
    assert f"{tmp_path/'t.onnx'} is an ONNX file, which only predicts: a backbone is a model file of this library that trains (.safetensors or .pkl" in r.stderr and '--trust' not in r.stderr, r.stderr
    assert not (tmp_path/'m.pkl').exists()
