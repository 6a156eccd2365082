"""A wheel, not only an editable install, carries the site: templates, static files, handout templates."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import textwrap
import venv
from pathlib import Path

from .conftest import ROOT

SERVE_FROM_WHEEL = textwrap.dedent(
    """
    import sys
    import casebook
    from casebook.web import create_app

    assert "site-packages" in casebook.__file__, casebook.__file__
    from casebook.content.vocabulary import default_vocabulary_dir
    assert (default_vocabulary_dir() / "synonyms.txt").is_file(), default_vocabulary_dir()
    assert "site-packages" in str(default_vocabulary_dir())
    client = create_app().test_client()
    pasted = "/?q=" + "快递员一个电话都没打就把我的快递放进了丰巢柜，我根本没同意，还要我付超时费"  # reads common_words.txt
    for url in ("/", "/cases/TD-2021-001", "/static/casebook.css", "/packs/", pasted):
        response = client.get(url)
        print(url, response.status_code, len(response.data))
        assert response.status_code == 200, (url, response.status_code, response.data[:300])
    """
)


def test_wheel_serves_pages_outside_the_checkout(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        check=True,
        timeout=300,
    )
    [wheel] = wheels.glob("casebook-*.whl")

    # A fresh environment whose only casebook is the wheel; the dependencies come from ours
    # through a .pth line (a plain path: our editable install's finder is not loaded with it).
    env_dir = tmp_path / "fresh"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=300,
    )

    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {"PATH": "/usr/bin:/bin", "CASEBOOK_CASES": str(ROOT / "cases"), "CASEBOOK_INDEX": str(tmp_path / "index")}
    done = subprocess.run(
        [python, "-c", SERVE_FROM_WHEEL], cwd=workdir, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "/static/casebook.css 200" in done.stdout
