"""Write README.md from nbs/index.ipynb, the docs site's home page: one source for both.

    python scripts/make_readme.py           # writes README.md
    python scripts/make_readme.py --check   # exit 1 if README.md is not what index.ipynb gives

Markdown cells are copied as they are; code cells without `#| hide` become Python blocks (nbdev's `#|` directives
left out) followed by their stored text output. `tests/test_readme.py` checks that README.md is up to date.
"""
import sys
from pathlib import Path
from execnb.nbio import read_nb

ROOT = Path(__file__).resolve().parent.parent
FOOTER = "<!-- Generated from nbs/index.ipynb by scripts/make_readme.py (`make readme`): edit the notebook, not this file. -->\n"

def _text(o):
    "Plain text of a stored output, or ''"
    if o.get('output_type') == 'stream': return ''.join(o.get('text', ''))
    return ''.join(o.get('data', {}).get('text/plain', ''))

def readme_text(nb=ROOT/'nbs'/'index.ipynb'):
    "The README that notebook `nb` gives"
    parts = []
    for c in read_nb(nb).cells:
        if c.cell_type == 'markdown': parts.append(c.source.strip())
        if c.cell_type != 'code': continue
        lines = c.source.splitlines()
        if any(l.replace(' ', '') == '#|hide' for l in lines): continue
        code = '\n'.join(l for l in lines if not l.startswith('#|')).strip()
        if code: parts.append(f"```python\n{code}\n```")
        out = ''.join(_text(o) for o in c.get('outputs', [])).strip()
        if out: parts.append(f"```\n{out}\n```")
    return '\n\n'.join(p for p in parts if p) + '\n\n' + FOOTER

if __name__ == '__main__':
    if {'-h', '--help'} & set(sys.argv[1:]): print(__doc__); sys.exit(0)  # the usage, nothing run or written
    text, readme = readme_text(), ROOT/'README.md'
    if '--check' in sys.argv[1:]:
        if readme.read_text() != text: sys.exit("README.md differs from nbs/index.ipynb: edit the notebook and run `make readme`.")
    else: readme.write_text(text); print(f"wrote {readme}")
