"The library's modules form one chain: every import points to an earlier module, and `models` knows nothing of fastai or data."
import ast, subprocess, sys, warnings, importlib, pytest
from pathlib import Path
import gender_fastai

LAYERS = ['core', 'faces', 'data', 'models', 'modelfile', 'quick', 'learner', 'export', 'inference', 'evaluate', 'cli', 'app']
PKG = Path(gender_fastai.__file__).parent

def imports(path):
    "Modules of the package that `path` imports anywhere (top level or inside functions), by name"
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ''
            if node.level: out.add(mod.split('.')[0] if mod else None) if mod else out.update(a.name for a in node.names)
            elif mod.startswith('gender_fastai.'): out.add(mod.split('.')[1])
            elif mod == 'gender_fastai': out.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name.split('.')[1] for a in node.names if a.name.startswith('gender_fastai.'))
    return {m for m in out if m in LAYERS}

def graph(): return {p.stem: imports(p) for p in PKG.glob('*.py') if p.stem in LAYERS}

def test_every_module_is_in_the_chain():
    test = {p.stem for p in PKG.glob('*.py') if not p.stem.startswith('_')}
    assert test == set(LAYERS), f"modules not placed in LAYERS: {test ^ set(LAYERS)}"

def test_imports_point_down_the_chain():
    bad = [(m, d) for m, deps in graph().items() for d in deps if LAYERS.index(d) >= LAYERS.index(m)]
    assert not bad, f"imports that point up the chain or sideways (module, imported): {bad}"

def find_cycle(g):
    "A cycle in the import graph `g`, or None"
    state = {}
    def visit(n, path):
        if state.get(n) == 1: return path[path.index(n):] + [n]
        if state.get(n) == 2: return None
        state[n] = 1
        for d in sorted(g.get(n, ())):
            if c := visit(d, path + [n]): return c
        state[n] = 2
    return next((c for n in sorted(g) if (c := visit(n, []))), None)

def test_no_import_cycle():
    assert find_cycle(graph()) is None

def test_the_cycle_finder_finds_cycles():  # the test above cannot pass by accident
    assert find_cycle({'learner': {'inference'}, 'inference': {'learner'}}) == ['inference', 'learner', 'inference']
    assert find_cycle({'a': {'b'}, 'b': {'c'}, 'c': set()}) is None

def test_models_know_nothing_of_fastai_or_data():
    assert 'data' not in imports(PKG/'models.py')
    code = "import sys, gender_fastai.models; bad = [m for m in sys.modules if m == 'fastai' or m.startswith('fastai.') or m == 'gender_fastai.data']; print(bad)"
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '[]', r.stdout

MOVED = [('data', 'GenderError', 'core'), ('data', 'open_face', 'core'), ('data', 'sample_data', 'core'), ('data', 'image_files', 'core'),
         ('learner', 'dls_size', 'data'), ('inference', 'export_learner', 'export'), ('inference', 'save_model', 'export'),
         ('inference', 'read_safe', 'modelfile'), ('inference', 'GenderModelError', 'modelfile'), ('inference', 'find_faces', 'faces'),
         ('inference', 'face_detector', 'faces')]

@pytest.mark.parametrize('old,name,new', MOVED)
def test_moved_names_work_from_their_old_place_with_a_warning(old, name, new):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        got = getattr(importlib.import_module(f'gender_fastai.{old}'), name)
    assert got is getattr(importlib.import_module(f'gender_fastai.{new}'), name)
    msgs = [str(o.message) for o in w if o.category is DeprecationWarning]
    assert msgs and msgs[0].startswith(f"gender_fastai.{old}.{name} has moved to gender_fastai.{new}.{name}"), msgs

def test_library_code_uses_no_old_place():
    "Importing every module and using the README's names raises no DeprecationWarning of ours"
    code = ("import warnings; warnings.simplefilter('error', DeprecationWarning)\n"
            "warnings.filterwarnings('ignore', category=DeprecationWarning, module='(?!gender_fastai)')\n"
            + ''.join(f"import gender_fastai.{m}\n" for m in LAYERS if m != 'app') +
            "from gender_fastai.data import gender_dls\nfrom gender_fastai.learner import resnet9_learner\n"
            "from gender_fastai.export import export_learner\nfrom gender_fastai.inference import load_model, predict_files\n")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
