"The web app end to end: `gender_fastai_app` on a loopback port, driven in headless Chromium and through its API."
import json, os, socket, subprocess, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import numpy as np, pytest
from PIL import Image
from gender_fastai.core import sample_data, image_files
from gender_fastai.app import CROP, FIND, MAX_UPLOAD_MB
from gender_fastai.inference import open_model, predict_files
from helpers import BIN

pytest.importorskip('gradio_client', reason='the app extra is not installed: pip install -e ".[app]"')
from gradio_client import Client, handle_file

CHROMIUM = Path('/usr/bin/chromium')
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']
REPORTS = Path(__file__).parent.parent/'reports'/'app'

def free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def start_app(log, **env):
    "`(process, url)`: the app with the bundled model, served by its console script on a free loopback port (output to `log`, `env` added), once it answers"
    port = free_port()
    env = {**os.environ, 'GRADIO_ANALYTICS_ENABLED': 'False', 'no_proxy': '127.0.0.1,localhost', 'NO_PROXY': '127.0.0.1,localhost', **env}
    with open(log, 'w') as out:
        p = subprocess.Popen([str(BIN/'gender_fastai_app'), '--port', str(port)], stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f'http://127.0.0.1:{port}/'
    for _ in range(240):
        if p.poll() is not None: pytest.fail(f"the app exited with {p.returncode}:\n{log.read_text()}")
        try:
            if urllib.request.urlopen(url, timeout=2).status == 200: return p, url
        except OSError: time.sleep(0.5)
    p.kill(); pytest.fail(f"the app did not answer within 2 minutes:\n{log.read_text()}")

def stop(p):
    p.terminate()
    try: return p.wait(20)
    except subprocess.TimeoutExpired: p.kill(); p.wait()

@pytest.fixture(scope='module')
def app_url(tmp_path_factory):
    "The app with the bundled model, served by its console script on a free loopback port"
    p, url = start_app(tmp_path_factory.mktemp('app')/'app.log')
    try: yield url
    finally: stop(p)

@pytest.fixture(scope='module')
def client(app_url): return Client(app_url, verbose=False)

@pytest.fixture(scope='module')
def val_image(): return image_files(sample_data('gender-sample')/'Validation'/'male')[7]

def test_label_shown_in_chromium_is_the_models(app_url, val_image):
    if not CHROMIUM.exists(): pytest.skip("Debian's chromium is not installed (make test installs it when it can)")
    from playwright.sync_api import sync_playwright
    want = predict_files(open_model(), [val_image], progress=False, screen=None).iloc[0]  # the model itself: the app does not screen
    REPORTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={'width': 1280, 'height': 900})
            page.goto(app_url, wait_until='networkidle')
            page.get_by_label(CROP).first.check()
            page.locator('#photo input[type=file]').set_input_files(str(val_image))
            msg = page.locator('#message')
            msg.get_by_text('1 face:').wait_for(timeout=60_000)
            shown = msg.inner_text().strip()
            page.locator('#shown img').wait_for(timeout=30_000)
            page.screenshot(path=REPORTS/'one_photo.png', full_page=True)
            page.get_by_role('tab', name='Model card').click()
            page.locator('#card').get_by_text('Model card: gender_faceresnet').wait_for(timeout=10_000)
            page.screenshot(path=REPORTS/'model_card.png')
        finally: browser.close()
    assert shown == f"1 face: {want.label} {want.probability:.2f}"
    assert (REPORTS/'one_photo.png').stat().st_size > 20_000

def _label(client, path, mode=CROP):
    t = time.perf_counter()
    img, faces, msg = client.predict(handle_file(str(path)), mode, api_name='/label_photo')
    return time.perf_counter() - t, faces, msg

def test_50_concurrent_requests_all_answered(client, val_image):
    files = image_files(sample_data('gender-sample')/'Validation'/'female')[:25] + image_files(sample_data('gender-sample')/'Validation'/'male')[:25]
    want = predict_files(open_model(), files, progress=False, screen=None)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(50) as ex: res = list(ex.map(lambda f: _label(client, f), files, timeout=300))
    wall = time.perf_counter() - t0
    lat = np.array([r[0] for r in res])
    assert [r[1]['data'][0][1] for r in res] == want.label.tolist()
    figures = dict(requests=len(files), answered=len(res), wall_s=round(wall, 2), p50_s=round(float(np.percentile(lat, 50)), 3),
                   p95_s=round(float(np.percentile(lat, 95)), 3), max_s=round(float(lat.max()), 3))
    REPORTS.mkdir(parents=True, exist_ok=True); (REPORTS/'load.json').write_text(json.dumps(figures, indent=1))
    print(figures)
    assert len(res) == 50 and wall < 300

def test_bad_uploads_answered_in_the_page(client, tmp_path, val_image):
    (tmp_path/'notes.jpg').write_text('this is not a photo')
    assert _label(client, tmp_path/'notes.jpg')[2] == "This upload cannot be used: notes.jpg: unreadable image (UnidentifiedImageError: cannot identify image file)."  # the name once
    Image.new('L', (9000, 9000)).save(tmp_path/'huge.png')  # 81 MP in a small file
    assert _label(client, tmp_path/'huge.png')[2] == "This upload cannot be used: huge.png: 81 MP is over the 64 MP limit (a decompression bomb?); resize it first."
    Image.new('RGB', (640, 480), (120, 130, 140)).save(tmp_path/'wall.jpg')
    _, faces, msg = _label(client, tmp_path/'wall.jpg', FIND)
    assert faces['data'] == [] and msg.startswith('No face found in this photo.')
    big = tmp_path/'big.png'; big.write_bytes(os.urandom((MAX_UPLOAD_MB + 1) * 2**20))
    with pytest.raises(Exception, match='(?i)file.*(large|size)|413'): _label(client, big)
    table, csv, msg = client.predict([handle_file(str(val_image)), handle_file(str(tmp_path/'notes.jpg'))], CROP, api_name='/label_photos')
    assert msg == '2 photo(s), 1 face(s) labelled, 1 photo(s) without a result (see the error column).'
    assert Path(csv).read_text().count('\n') == 3
    assert _label(client, val_image)[2].startswith('1 face: ')  # still serving

def test_app_refuses_what_it_cannot_serve(tmp_path):
    import pickle
    from helpers import run
    (tmp_path/'foreign.pkl').write_bytes(pickle.dumps({'not': 'a model'}))
    r = run('gender_fastai_app', tmp_path/'foreign.pkl', '--port', free_port())
    assert r.returncode == 2 and r.stderr.count('\n') == 1 and '--trust' in r.stderr, r.stderr
    r = run('gender_fastai_app', tmp_path/'missing.safetensors', '--port', free_port())
    assert (r.returncode, r.stderr) == (2, f"gender_fastai_app: error: {tmp_path/'missing.safetensors'}: no such model file.\n")

def test_uploads_and_csvs_deleted_when_stopped_by_sigterm(tmp_path, val_image):
    "Stopped by `kill` (SIGTERM: systemd, `docker stop`) as by Ctrl+C: Gradio's copy of each uploaded photo (personal data) and the result CSVs are deleted"
    tmp = tmp_path/'tmp'; tmp.mkdir()
    p, url = start_app(tmp_path/'app.log', TMPDIR=str(tmp))
    try:
        table, csv, msg = Client(url, verbose=False).predict([handle_file(str(val_image))], CROP, api_name='/label_photos')
        kept = lambda: sorted(f.name for f in tmp.rglob('*') if f.is_file() and f.stat().st_size)
        assert val_image.name in ' '.join(kept()) and 'gender_predictions.csv' in kept(), kept()  # there while it serves
    finally: rc = stop(p)
    assert rc == 0 and kept() == [], (rc, kept())
