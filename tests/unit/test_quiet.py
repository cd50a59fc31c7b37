"""The servers `bot run` starts keep their own warnings and drop the libraries' deprecation noise."""
from __future__ import annotations

import subprocess
import sys

from bot.ops.processes import quiet_environment, quietly
from bot.ops.quiet import ROOT, is_noise


def test_only_third_party_deprecations_are_noise():
    site = "/usr/lib/python3.10/site-packages/sanic/app.py"
    assert is_noise(DeprecationWarning, site) and is_noise(FutureWarning, site)
    assert not is_noise(UserWarning, site)  # Rasa's own advice about the training data stays
    assert not is_noise(DeprecationWarning, str(ROOT / "bot" / "core" / "rules.py"))


def test_a_module_run_quietly_shows_what_matters_even_after_a_library_resets_the_filters(tmp_path):
    (tmp_path / "noisy.py").write_text(
        "import warnings\n"
        "warnings.simplefilter('always')  # as Sanic does on import\n"
        "warnings.warn('distutils is deprecated', DeprecationWarning)\n"
        "warnings.warn('no stories found', UserWarning)\n"
        "print('ran', flush=True)\n")
    done = subprocess.run(quietly("noisy"), capture_output=True, text=True, cwd=ROOT,
                          env={**quiet_environment(), "PYTHONPATH": str(tmp_path)}, timeout=60)
    assert done.returncode == 0 and done.stdout == "ran\n"
    assert "no stories found" in done.stderr and "distutils" not in done.stderr


def test_telemetry_is_off_unless_an_operator_turns_it_on():
    assert quiet_environment({})["RASA_TELEMETRY_ENABLED"] == "false"
    assert quiet_environment({"RASA_TELEMETRY_ENABLED": "true"})["RASA_TELEMETRY_ENABLED"] == "true"
    assert quietly("rasa", "run") == [sys.executable, "-m", "bot.ops.quiet", "rasa", "run"]
