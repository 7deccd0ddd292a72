"Helpers shared by the tests."
import os, sys, subprocess
from pathlib import Path

BIN = Path(sys.executable).parent

def run(*args, env=None, unset=()):
    env = {k: v for k, v in {**os.environ, 'PYTHONWARNINGS': 'ignore', **(env or {})}.items() if k not in unset}
    return subprocess.run([str(BIN/args[0]), *map(str, args[1:])], capture_output=True, text=True, timeout=600, env=env)

