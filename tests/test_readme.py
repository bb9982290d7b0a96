"""The README's Python example runs as printed and does what it says."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_ten_line_example_runs(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README lost its Python example"
    code = blocks[0]
    assert len(code.strip().splitlines()) <= 12
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    out = capsys.readouterr().out
    accuracy = float(out.split()[-1])
    assert accuracy > 0.9
    assert (tmp_path / "moons.npz").exists()
    loaded = namespace["nn"].load(tmp_path / "moons.npz")
    assert (
        loaded.predict(namespace["X_test"]) == namespace["model"].predict(namespace["X_test"])
    ).all()
