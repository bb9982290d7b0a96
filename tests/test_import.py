import subprocess
import sys

import nnscratch as nn


def test_import_loads_numpy_only():
    code = (
        "import sys, nnscratch; "
        "heavy = [m for m in ('sklearn', 'matplotlib', 'tqdm', 'scipy') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_names_exist():
    for name in nn.__all__:
        assert hasattr(nn, name), name
    assert nn.__version__.count(".") == 2
