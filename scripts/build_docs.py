"""Build the documentation website locally, without Quarto: nbdev's notebook processing, then mkdocs.

    python scripts/build_docs.py [--out _site]   # or: make docs

`nbdev_docs` needs Quarto, which cannot be installed everywhere; this builds the same pages with what pip installs.
The notebooks listed in `nbs/sidebar.yml` (the sidebar of the Quarto site: one source for both) go through nbdev's
own processors, which add a `show_doc` cell for every exported function and class and run those cells, so each module
page carries its API reference (signature, docstring, link to the source); exported and hidden cells are dropped as
nbdev drops them. Public constants get the same kind of entry from their attribute docstring (the string literal on
the line after the assignment), which `show_doc` does not do. mkdocs (material theme) and mkdocs-jupyter then render
the notebooks with their stored outputs (nothing is executed but the cells nbdev needs for `show_doc`) into `OUT`,
one page per notebook, named as Quarto names them (`02_data.ipynb` -> `data.html`).

The site loads nothing from the network: no Google fonts, no MathJax (the notebooks have no maths) and no
require.js, no GitHub API call (no `repo_url`; a plain link in the footer instead). The mkdocs configuration is
written at build time because its navigation comes from `nbs/sidebar.yml` and its `docs_dir` is a temporary folder
of processed notebooks. `SOURCE_DATE_EPOCH` is set to the last commit's time, so two builds of one commit are equal.
"""
import ast, atexit, json, os, posixpath, re, shutil, subprocess, sys, tempfile, time, warnings
from pathlib import Path
import yaml
from fastcore.script import call_parse

ROOT = Path(__file__).resolve().parents[1]

CSS = """
.md-typeset .jupyter-wrapper .jp-RenderedMarkdown hr { margin: 1.5em 0 0.5em; }
.md-typeset a.nbdev-source { float: right; font-size: smaller; }
.md-typeset .jupyter-wrapper h1:first-child + blockquote { border-left: none; padding-left: 0; font-size: 1.15em; font-style: italic; }
"""

def _from_root(p): return Path(p) if Path(p).is_absolute() else ROOT/p

# ---------------------------------------------------------------------------------------------------------------------
# What to build: the Quarto sidebar

def sidebar_nav(nbs:Path):
    "`[(title or None, path or [sub-entries])]` from `nbs/sidebar.yml`, paths relative to `nbs`"
    def entries(items):
        out = []
        for o in items or []:
            if isinstance(o, str): out.append((None, o))
            elif 'section' in o: out.append((o['section'], entries(o.get('contents'))))
            elif 'href' in o: out.append((o.get('text'), o['href']))
            else: raise ValueError(f"nbs/sidebar.yml: an entry of an unknown kind: {o}")
        return out
    return entries(yaml.safe_load((nbs/'sidebar.yml').read_text())['website']['sidebar']['contents'])

def nav_paths(nav):
    "Every notebook path in `nav`, in order"
    return [p for _, v in nav for p in (nav_paths(v) if isinstance(v, list) else [v])]

def notebooks(nbs:Path):
    "The notebooks a docs build would see, as `nbdev_sidebar` finds them (folders starting with `_` or `.` skipped)"
    return sorted(p.relative_to(nbs).as_posix() for p in nbs.rglob('*.ipynb')
                  if not any(part.startswith(('_', '.')) for part in p.relative_to(nbs).parts))

def page_name(nb_path:str):
    "Where nbdev/Quarto put the page of `nb_path`: `02_data.ipynb` -> `data.html`, `tutorials/x.ipynb` -> `tutorials/x.html`"
    p = Path(nb_path)
    return (p.parent/(re.sub(r'^\d+[a-zA-Z0-9]*_', '', p.name.lower()))).with_suffix('.html').as_posix()

# ---------------------------------------------------------------------------------------------------------------------
# Cells that nbdev_docs would run whole

def _is_export(directives): return bool(set(directives) & {'export', 'exports', 'exporti', 'exec_doc'})

def mixed_import_cell(cell):
    "For a code cell that nbdev would execute for `show_doc` because it has imports, but that also has other code: its imports"
    from nbdev.processors import _do_eval, _show_docs
    if cell.cell_type != 'code' or _is_export(getattr(cell, 'directives_', {})): return None
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        if not _do_eval(cell): return None
    trees = cell.parsed_()
    if not trees or _show_docs(trees): return None
    imps = [n for t in trees for n in ast.walk(t) if isinstance(n, (ast.Import, ast.ImportFrom))]
    if all(isinstance(t, (ast.Import, ast.ImportFrom)) for t in trees): return None
    return '\n'.join(ast.unparse(n) for n in imps)

def mixed_import_cells(nbs:Path, paths):
    "`(notebook, cell index, first line)` of each cell that mixes imports with other code, in notebooks that have docs"
    from nbdev.process import NBProcessor
    res = []
    for p in paths:
        proc = NBProcessor(nbs/p)
        if not any(_is_export(c.directives_) or 'show_doc(' in (c.source or '') for c in proc.nb.cells if c.cell_type == 'code'): continue
        res += [(p, i, c.source.splitlines()[0]) for i, c in enumerate(proc.nb.cells) if mixed_import_cell(c) is not None]
    return res

# ---------------------------------------------------------------------------------------------------------------------
# nbdev processing, with two additions

def const_docs(src:str):
    "`[(name, assignment source, docstring)]` for the public module-level assignments in `src` followed by a string"
    body, lines = ast.parse(src).body, src.splitlines()
    out = []
    for a, b in zip(body, body[1:] + [None]):
        if not isinstance(a, (ast.Assign, ast.AnnAssign)) or a.value is None: continue
        targets = a.targets if isinstance(a, ast.Assign) else [a.target]
        names = [n.id for t in targets for n in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t])
                 if isinstance(n, ast.Name) and not n.id.startswith('_')]
        if not names: continue
        doc = b.value.value if isinstance(b, ast.Expr) and isinstance(b.value, ast.Constant) and isinstance(b.value.value, str) else None
        out += [(n, '\n'.join(lines[a.lineno-1:a.end_lineno]), doc) for n in names]
    return out

def const_md(name, code, doc):
    "A `show_doc`-style entry for a constant"
    return f"---\n\n### {name}\n\n```python\n{code}\n```\n\n" + (f"*{doc}*" if doc else '')

def _procs():
    from nbdev.process import Processor
    from nbdev.processors import FilterDefaults, add_show_docs, exec_show_docs
    from execnb.nbio import mk_cell

    class add_const_docs(Processor):
        "After each exported cell, an entry for each public constant it assigns"
        def begin(self):
            cells = self.nb.cells
            for i in reversed(range(len(cells))):
                c = cells[i]
                if c.cell_type != 'code' or not set(c.directives_) & {'export', 'exports'}: continue
                for name, code, doc in reversed(const_docs(c.source)): cells.insert(i+1, mk_cell(const_md(name, code, doc), 'markdown'))

    class exec_docs_imports(exec_show_docs):
        "nbdev's `exec_show_docs`, except that a cell mixing imports with other code runs only its imports"
        def __call__(self, cell):
            imps = mixed_import_cell(cell)
            if imps is None: return super().__call__(cell)
            if not self.nb.has_docs_ or not hasattr(self, 'k'): return
            self.k.run(imps)
            if self.k.exc: raise Exception(f"Error in the imports of cell {cell.idx_}:\n{imps}") from self.k.exc

        def end(self):
            super().end()
            if not hasattr(self, 'k'): return
            # each shell would clear itself at exit, with a full garbage collection (~0.7 s each, torch loaded): no need
            atexit.unregister(self.k.atexit_operations)
            self.k.history_manager.save_thread.stop()

    class Filter(FilterDefaults):
        def base_procs(self):
            procs = [exec_docs_imports if p is exec_show_docs else p for p in super().base_procs()]
            i = procs.index(add_show_docs)
            return procs[:i+1] + [add_const_docs] + procs[i+1:]
    return Filter()

# ---------------------------------------------------------------------------------------------------------------------
# From nbdev's processed notebook to one that mkdocs-jupyter renders as nbdev's Quarto site would show it

def slugify(s):
    from mkdocs_jupyter.utils import slugify
    return slugify(s)

def _src(x): return ''.join(x) if isinstance(x, list) else (x or '')

def rewrite_links(text:str, page:str, doc_url:str):
    "Links in `text` made relative for `page`: nbdev's absolute links to this site, and links to notebooks"
    here = posixpath.dirname(page)
    def local(target):
        path, _, anchor = target.partition('#')
        rel = posixpath.relpath(path or page, here or '.')
        return rel + (f'#{slugify(anchor)}' if anchor else '')
    def fix(m):
        url = m.group(2)
        if url.startswith(doc_url): url = local(url[len(doc_url):])
        elif not re.match(r'^[a-z]+:|^#|^/', url) and re.search(r'\.ipynb(#|$)', url):
            path, _, anchor = url.partition('#')
            url = page_name(posixpath.normpath(posixpath.join(here, path)))
            url = local(url + (f'#{anchor}' if anchor else ''))
        return m.group(1) + url + m.group(3)
    text = re.sub(r'(\]\()([^)\s]+)(\))', fix, text)
    return re.sub(r'''((?:href|src)=["'])([^"']+)(["'])''', fix, text)

def _md_links(text):
    "Quarto's `[x](url){target=... style=...}` links (show_doc's source link) as plain HTML"
    return re.sub(r'\[([^\]]+)\]\(([^)\s]+)\)\{[^}]*\}', r'<a class="nbdev-source" href="\2" target="_blank">\1</a>', text)

_re_opt = re.compile(r'^#\|\s*([\w-]+)\s*:\s*(.*?)\s*$')

def _cell_opts(src):
    "Quarto cell options left by nbdev (`#| key: value`), and the source without them"
    lines, opts = src.splitlines(), {}
    while lines and lines[0].startswith('#|'):
        m = _re_opt.match(lines.pop(0))
        if m: opts[m[1]] = m[2].strip('"\'')
    return opts, '\n'.join(l for l in lines if not l.lstrip().startswith('#|'))

def to_mkdocs(nb:dict, fm:dict, page:str, doc_url:str):
    "The cells of nbdev's processed notebook `nb`, ready for mkdocs-jupyter"
    cells = []
    for c in nb['cells']:
        src = _src(c.get('source'))
        if c['cell_type'] == 'raw': continue  # the front matter: replaced by the title and description below
        if c['cell_type'] == 'markdown':
            if src.strip().startswith('<!-- WARNING: THIS FILE WAS AUTOGENERATED'): continue
            c['source'] = rewrite_links(_md_links(src), page, doc_url)
            cells.append(c); continue
        opts, src = _cell_opts(src)
        if src.lstrip().startswith('show_doc('):  # its rendered Markdown becomes a Markdown cell
            md = [_src(o['data']['text/markdown']) for o in c.get('outputs', []) if 'text/markdown' in o.get('data', {})]
            if not md: raise SystemExit(f"{page}: {src} rendered nothing")
            cells.append(dict(cell_type='markdown', metadata={}, source=rewrite_links(_md_links('\n\n'.join(md)), page, doc_url)))
            continue
        if opts.get('include') == 'false': continue
        if opts.get('output') == 'false': c['outputs'] = []
        if opts.get('echo') == 'false': c['metadata']['tags'] = c['metadata'].get('tags', []) + ['remove_input']
        if not src.strip() and not c.get('outputs'): continue
        c['source'] = src
        for o in c.get('outputs', []):
            for k in ('text/markdown', 'text/html'):
                if k in o.get('data', {}): o['data'][k] = rewrite_links(_src(o['data'][k]), page, doc_url)
        cells.append(c)
    title = fm.get('title')
    head = f"# {title}" + (f"\n\n> {fm['description']}" if fm.get('description') else '') if title else None
    if head: cells.insert(0, dict(cell_type='markdown', metadata={}, source=rewrite_links(head, page, doc_url)))
    for i, c in enumerate(cells): c['id'] = f'c{i:03d}'  # new cells get random ids: numbered instead, for equal builds
    nb['cells'] = cells
    nb['metadata'].pop('widgets', None)  # widget state would pull the widget manager from a CDN
    return nb

def process(nbs:Path, nb_path:str, docs:Path, filt, doc_url:str):
    "Process `nbs/nb_path` with nbdev's processors and write the result for mkdocs; returns the page title"
    from execnb.nbio import read_nb, nb2str
    nb = read_nb(nbs/nb_path)
    filt(nb)
    fm = getattr(nb, 'frontmatter_', {})
    page = page_name(nb_path)
    out = to_mkdocs(json.loads(nb2str(nb)), fm, page, doc_url)
    dest = (docs/page).with_suffix('.ipynb')
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(out, indent=1, ensure_ascii=False, sort_keys=True))
    return fm.get('title') or Path(nb_path).stem

# ---------------------------------------------------------------------------------------------------------------------
# mkdocs

_re_heading = re.compile(r'<h([1-6]) id="([^"]*)">(.*?)<a class="anchor-link" href="#\2">¶</a></h\1>', re.S)
_re_entry = re.compile(r'<hr/>\s*(?:<p><a class="nbdev-source"[^>]*>source</a></p>\s*)?$')

def on_page_content(html, page, config, files):
    """mkdocs hook: unique heading ids, an API entry keeping the plain one (`data.html#open_face` is the function, as
    nbdev's links mean), and the page's table of contents made from these headings"""
    if not page.file.src_uri.endswith('.ipynb'): return html
    from markdown.extensions.toc import nest_toc_tokens
    from mkdocs.structure.toc import get_toc
    hs = [dict(m=m, level=int(m[1]), id=m[2], api=bool(_re_entry.search(html[max(0, m.start()-400):m.start()])))
          for m in _re_heading.finditer(html)]
    taken = {h['id'] for h in hs}
    for hid in {h['id'] for h in hs}:
        group = [h for h in hs if h['id'] == hid]
        keep = next((h for h in group if h['api']), group[0])
        n = 0
        for h in group:
            if h is keep: continue
            while True:
                n += 1
                if f'{hid}-{n}' not in taken: break
            h['id'] = f'{hid}-{n}'; taken.add(h['id'])
    out, pos = [], 0
    for h in hs:
        m = h['m']
        out += [html[pos:m.start()], f'<h{m[1]} id="{h["id"]}">{m[3]}<a class="anchor-link" href="#{h["id"]}">¶</a></h{m[1]}>']
        pos = m.end()
    toc = [dict(level=h['level'], id=h['id'], name=re.sub(r'<[^>]+>', '', h['m'][3]).strip(), children=[]) for h in hs if h['level'] <= 3]
    page.toc = get_toc(nest_toc_tokens(toc))
    return ''.join(out) + html[pos:]

def mkdocs_config(cfg, nav, docs:Path, out:Path):
    "The mkdocs configuration: material, mkdocs-jupyter, `nav` from the sidebar"
    return dict(
        site_name=cfg.title, site_description=cfg.description, site_url=f"{cfg.doc_host}{cfg.doc_baseurl}/",
        docs_dir=str(docs), site_dir=str(out), use_directory_urls=False, strict=True,
        theme=dict(name='material', font=False, palette=dict(primary='indigo'),
                   features=['navigation.sections', 'navigation.top', 'toc.follow', 'content.code.copy']),
        extra_css=['styles.css', 'mkdocs.css'],
        extra=dict(generator=False, social=[dict(icon='fontawesome/brands/github', link=cfg.git_url, name='Source on GitHub')]),
        copyright=cfg.get('copyright', ''),
        plugins=['search', {'mkdocs-jupyter': dict(
            execute=False, include_source=False, cache=False, theme='light', include_requirejs=False, ignore_h1_titles=True, no_prompt=True,
            custom_mathjax_url='data:text/javascript,', toc_depth=3, remove_tag_config=dict(remove_input_tags=['remove_input']))}],
        hooks=[__file__], nav=nav)

def _source_date_epoch():
    try: return subprocess.run(['git', 'log', '-1', '--format=%ct'], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip() or '0'
    except (OSError, subprocess.CalledProcessError): return '0'

def build(out='_site', keep:str=None, quiet=False):
    "Build the site into `out`; `keep`: a folder to keep the processed notebooks and mkdocs.yml in"
    t0 = time.time()
    os.chdir(ROOT)
    from nbdev.config import get_config
    cfg = get_config()
    nbs, out = cfg.nbs_path, _from_root(out)
    doc_url = f"{cfg.doc_host}{cfg.doc_baseurl}/"
    nav = sidebar_nav(nbs)
    log = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    for p in nav_paths(nav):
        if not (nbs/p).is_file(): print(f"warning: nbs/sidebar.yml lists {p}, which does not exist: skipped", file=sys.stderr)
    for p in sorted(set(notebooks(nbs)) - set(nav_paths(nav))):
        print(f"warning: nbs/{p} is not in nbs/sidebar.yml: not in the docs", file=sys.stderr)
    present = [p for p in nav_paths(nav) if (nbs/p).is_file()]
    for p, i, line in mixed_import_cells(nbs, present):
        print(f"warning: nbs/{p} cell {i} ({line!r}...) mixes imports with other code: nbdev_docs runs such cells whole "
              "(and fails if they need earlier cells); put the imports in a cell of their own", file=sys.stderr)

    tmp = Path(keep) if keep else Path(tempfile.mkdtemp(prefix='gender_fastai_docs_'))
    try:
        docs = tmp/'docs'
        shutil.rmtree(docs, ignore_errors=True); docs.mkdir(parents=True)
        filt, titles = _procs(), {}
        os.environ['IN_TEST'] = '1'  # as nbdev's own processing does
        for p in present:
            t = time.time()
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                titles[p] = process(nbs, p, docs, filt, doc_url)
            log(f"processed nbs/{p} -> {page_name(p)} ({time.time() - t:.1f} s)")
        for f in nbs.rglob('*'):  # images and other files the notebooks' Markdown may link to
            rel = f.relative_to(nbs)
            if f.is_file() and f.suffix.lower() in ('.png', '.jpg', '.jpeg', '.gif', '.svg', '.webp') and not any(s.startswith(('_', '.')) for s in rel.parts):
                (docs/rel).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(f, docs/rel)
        shutil.copy2(nbs/'styles.css', docs/'styles.css')
        (docs/'mkdocs.css').write_text(CSS)

        def mk_nav(entries, top=True):
            res = []
            for title, v in entries:
                if isinstance(v, list):
                    sub = mk_nav(v, False)
                    if sub: res.append({title: sub})
                elif v in titles:
                    label = title or ('Home' if top and page_name(v) == 'index.html' else re.sub(r'^Tutorial:\s*', '', titles[v]))
                    label = label[:1].upper() + label[1:]
                    res.append({label: str(Path(page_name(v)).with_suffix('.ipynb').as_posix())})
            return res
        conf = tmp/'mkdocs.yml'
        conf.write_text(yaml.safe_dump(mkdocs_config(cfg, mk_nav(nav), docs, out), sort_keys=False, allow_unicode=True))
        env = dict(os.environ, SOURCE_DATE_EPOCH=_source_date_epoch(), NO_MKDOCS_2_WARNING='1')
        env.pop('IN_TEST', None)
        t = time.time()
        r = subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '--clean', '--quiet', '-f', str(conf)], env=env, cwd=tmp)
        if r.returncode: raise SystemExit(f"mkdocs build failed ({r.returncode})")
        log(f"mkdocs: {time.time() - t:.1f} s")
    finally:
        if not keep: shutil.rmtree(tmp, ignore_errors=True)
    log(f"docs built in {time.time() - t0:.1f} s: {out}/index.html")
    return out

@call_parse
def main(out:str='_site', # Where the site goes (replaced)
         keep:str=None, # Keep the processed notebooks and mkdocs.yml in this folder
         quiet:bool=False): # Print only warnings and errors
    "Build the documentation site (nbdev processing + mkdocs) into `out`"
    build(out, keep, quiet)
