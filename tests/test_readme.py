"The README is generated from nbs/index.ipynb (the docs home page) and starts with the newcomer's two commands."
import re, runpy
from pathlib import Path

ROOT = Path(__file__).parent.parent
make_readme = runpy.run_path(str(ROOT/'scripts'/'make_readme.py'))

def test_readme_is_generated_from_index():
    assert (ROOT/'README.md').read_text() == make_readme['readme_text'](), "README.md differs from nbs/index.ipynb: run `make readme`"

def test_readme_starts_with_the_two_commands():
    text = (ROOT/'README.md').read_text()
    first_block = re.search(r"```sh\n(.*?)```", text, re.S)[1]
    assert [l.split()[:2] for l in first_block.splitlines()] == [['make', 'demo'], ['make', 'test']]
    assert text.index('```sh') < text.index('\n## ', text.index('## Two commands') + 1)  # in the first section after the title
    make = (ROOT/'Makefile').read_text()
    assert re.search(r'^demo:', make, re.M) and re.search(r'^test:', make, re.M)
    assert 'make test' in (ROOT/'.ci'/'run').read_text()

def test_generator_follows_the_notebook(tmp_path):
    import json
    nb = json.loads((ROOT/'nbs'/'index.ipynb').read_text())
    nb['cells'].append({'cell_type': 'code', 'execution_count': None, 'id': 'x1', 'metadata': {}, 'source': '#| echo: false\nprint(1 + 1)',
                        'outputs': [{'name': 'stdout', 'output_type': 'stream', 'text': '2\n'}]})
    nb['cells'].append({'cell_type': 'code', 'execution_count': None, 'id': 'x2', 'metadata': {}, 'source': '#| hide\nsecret = 1', 'outputs': []})
    (tmp_path/'index.ipynb').write_text(json.dumps(nb))
    text = make_readme['readme_text'](tmp_path/'index.ipynb')
    assert "```python\nprint(1 + 1)\n```\n\n```\n2\n```" in text and 'secret' not in text and '#|' not in text
