"""``everyname.core`` is pure: importing all of it loads no Django and no database driver."""

import pkgutil
import subprocess
import sys

import everyname.core


def test_core_imports_no_django_and_no_database_driver():
    modules = [
        m.name
        for m in pkgutil.walk_packages(everyname.core.__path__, prefix="everyname.core.")
        if "spark" not in m.name  # the Spark backend is an optional extra, imported lazily
    ]
    assert len(modules) > 5
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('django', 'psycopg', 'psycopg2', 'everyname.store'))\n"
        "bad += sorted(m for m in sys.modules if m.startswith(('everyname.store', 'everyname.cli', "
        "'everyname.web')))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"core pulled in: {result.stdout.strip()}"
