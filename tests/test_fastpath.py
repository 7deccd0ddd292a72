"The fast prediction path (optimised model, DCT-scaled decoding, threads) against the reference path, on real files."
import numpy as np, torch, pytest
from PIL import Image
from gender_fastai.core import sample_data, image_files, open_face, DRAFT
from gender_fastai.inference import open_model, predict_files

@pytest.fixture(scope='module')
def resnet9(): return open_model('gender_resnet9')

def reference_probs(learn, files):
    "fastai's own path: a test `DataLoader` of the exported learner (full decode, its item and batch transforms, the model itself)"
    with learn.no_bar(): return learn.get_preds(dl=learn.dls.test_dl(files, num_workers=0))[0]

def test_fast_path_matches_reference_on_validation(resnet9, gender_path):
    files = image_files(gender_path/'Validation'/'female') + image_files(gender_path/'Validation'/'male')
    files = files[::2]  # 1,000 images, both classes
    truth = np.array([f.parent.name for f in files])
    ref = reference_probs(resnet9, files)
    res = predict_files(resnet9, files, progress=False)
    p = torch.tensor(np.where(res.label == 'female', res.probability, 1 - res.probability))
    assert (p - ref[:, 0]).abs().max() <= 1e-2  # measured on all 2,000: 9.5e-7 (crops this small decode exactly; the optimised model computes the same function)
    acc_ref, acc = (np.array(resnet9.dls.vocab)[ref.argmax(1)] == truth).mean(), (res.label.values == truth).mean()
    assert abs(acc - acc_ref) <= 0.002, (acc, acc_ref)  # measured on all 2,000: 0.9680 both

def test_dct_scaled_decoding_of_large_photos(resnet9, tmp_path):
    "UTKFace faces saved at 512 px: decoded at 1/4 scale (128 px = DRAFT x 32), then squished: close to a full decode"
    utk = image_files(sample_data('utkface-sample'))[:300]
    files = []
    for i, f in enumerate(utk):
        files.append(tmp_path/f'{i}.jpg'); open_face(f).resize((512, 512), Image.BICUBIC).save(files[-1], quality=95)
    assert open_face(files[0], draft=DRAFT * 32).size == (128, 128)
    full = lambda f: np.asarray(open_face(f).resize((32, 32), Image.BILINEAR), np.int16)
    fast = lambda f: np.asarray(open_face(f, draft=DRAFT * 32).resize((32, 32), Image.BILINEAR), np.int16)
    diff = np.mean([np.abs(full(f) - fast(f)).mean() for f in files])
    assert 0 < diff < 0.5, diff  # measured: 0.22 of 255 (max 3); decoding 2.5x faster (1,435 against 574 files/s, one thread)
    ref = reference_probs(resnet9, files)[:, 0]
    res = predict_files(resnet9, files, progress=False)
    p = torch.tensor(np.where(res.label == 'female', res.probability, 1 - res.probability))
    d = (p - ref).abs()
    # measured: mean 0.0043, max 0.046; 13% of the faces move by more than 1e-2 (the 32-px ResNet9 is that sensitive to
    # a fifth of a grey level), 1 label in 300 changes. The crops of the shared data are too small for DCT scaling.
    assert d.mean() < 1e-2 and d.max() < 0.1, (d.mean(), d.max())
    assert (res.label.values == np.where(ref > 0.5, 'female', 'male')).mean() >= 0.99

def test_torchvision_kernels_loaded_without_torchvision(tmp_path):
    "faces.vision_ops in a process that never imports torchvision (its library loaded into torch.ops): the numbers of torchvision.ops"
    import subprocess, sys, torchvision.ops as tv
    g = torch.Generator().manual_seed(0); t = torch.rand(2, 3, 60, 50, generator=g) * 255
    b = torch.tensor([[1., 2., 40., 50.], [-5., -3., 70., 20.], [10.2, 10.7, 30.1, 33.3]]); xy = torch.rand(300, 2, generator=g) * 100
    bx, sc = torch.cat([xy, xy + torch.rand(300, 2, generator=g) * 30 + 1], 1), torch.rand(300, generator=g).round(decimals=1)  # ties among the scores too
    torch.save((t, b, bx, sc), tmp_path/'inputs.pt')
    code = ("import sys, torch; from gender_fastai.faces import vision_ops; nms, roi_align = vision_ops(); assert 'torchvision' not in sys.modules\n"
            "t, b, bx, sc = torch.load(sys.argv[1]); torch.save((roi_align(t, [b, b[:2]], 24, 2, True), nms(bx, sc, 0.5)), sys.argv[2])")
    r = subprocess.run([sys.executable, '-W', 'ignore', '-c', code, str(tmp_path/'inputs.pt'), str(tmp_path/'ops.pt')], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-800:]
    ra, keep = torch.load(tmp_path/'ops.pt')
    assert torch.equal(ra, tv.roi_align(t, [b, b[:2]], 24, sampling_ratio=2, aligned=True)) and torch.equal(keep, tv.nms(bx, sc, 0.5))
