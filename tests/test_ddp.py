"Data-parallel training: two CPU processes on the gloo backend, launched with torchrun, through fastai's accelerate support."
import sys, subprocess, pytest
from pathlib import Path
from gender_fastai.inference import load_safe, predict_probs
from gender_fastai.core import image_files

def test_two_process_gloo_training_saves_a_model(tmp_path, gender_path):
    pytest.importorskip('accelerate')
    out = tmp_path/'ddp.safetensors'
    script = Path(__file__).parents[1]/'scripts'/'train_ddp.py'
    cmd = [str(Path(sys.executable).parent/'torchrun'), '--standalone', '--nproc_per_node', '2', str(script), '--sample', '60',
           '--epochs', '1', '--bs', '16', '--out', str(out)]  # --standalone: a free port for the rendezvous
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert '2 process(es), cpu' in r.stdout
    p = predict_probs(load_safe(out), image_files(gender_path/'Validation'/'male')[:4])
    assert p.shape == (4, 2)
