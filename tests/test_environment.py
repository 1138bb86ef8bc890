"""`coursekit.setup()`, profiles and environment detection."""

import os
import subprocess
import sys

import numpy as np
import pytest

import coursekit
from coursekit import environment, profiles


def test_importing_coursekit_does_not_load_keras_or_tensorflow():
    code = (
        "import sys, coursekit, coursekit.grading, coursekit.arithmetic, coursekit.scratch\n"
        "import coursekit.models  # its builders import Keras when they run\n"
        "coursekit.grading.exercises()\n"
        "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def test_setup_prints_one_line_and_returns_the_profile(capsys, monkeypatch):
    monkeypatch.setenv("COURSEKIT_PROFILE", "fast")
    profile = coursekit.setup(seed=3)
    line = capsys.readouterr().out.strip()
    assert profile is profiles.PROFILES["fast"]
    assert "\n" not in line
    for part in ("coursekit", "profile fast", "Keras", "NumPy", "Python", "local"):
        assert part in line
    gpus = environment.gpu_names()
    hardware = f"{len(gpus)} GPU" if gpus else f"CPU only ({os.cpu_count()} cores)"
    assert hardware in line


def test_setup_seeds_numpy_and_keras(capsys):
    import keras

    draws = []
    for _ in range(2):
        coursekit.setup(seed=7, profile="fast")
        draws.append((np.random.rand(3), keras.ops.convert_to_numpy(keras.random.normal((3,)))))
    np.testing.assert_array_equal(draws[0][0], draws[1][0])
    np.testing.assert_array_equal(draws[0][1], draws[1][1])


def test_setup_keeps_native_library_chatter_out_of_the_notebook():
    code = "import coursekit; coursekit.setup(profile='fast')"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("coursekit ")
    assert "oneDNN" not in result.stderr and "absl" not in result.stderr


def test_native_stderr_is_muted_only_inside_setup_s_loading():
    code = (
        "import os\n"
        "from coursekit.environment import _native_stderr_muted\n"
        "with _native_stderr_muted():\n"
        "    os.write(2, b'hidden\\n')\n"
        "os.write(2, b'shown\\n')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stderr == "shown\n"


def test_profile_choice(monkeypatch):
    monkeypatch.delenv("COURSEKIT_PROFILE", raising=False)
    for key in [key for key in __import__("os").environ if key.startswith("BINDER_")]:
        monkeypatch.delenv(key)
    assert profiles.get_profile().name == "default"
    assert profiles.get_profile(has_gpu=True).name == "full"
    monkeypatch.setenv("BINDER_LAUNCH_HOST", "https://mybinder.org/")
    assert profiles.get_profile(has_gpu=True).name == "fast"
    monkeypatch.setenv("COURSEKIT_PROFILE", "default")
    assert profiles.get_profile().name == "default"
    assert profiles.get_profile("full").name == "full"


def test_unknown_profile_names_the_choices(monkeypatch):
    monkeypatch.setenv("COURSEKIT_PROFILE", "quick")
    with pytest.raises(
        ValueError, match=r"Received: 'quick'; expected one of 'fast', 'default', 'full'"
    ):
        profiles.get_profile()


def test_profiles_get_bigger_from_fast_to_full():
    fast, default, full = (profiles.PROFILES[name] for name in ("fast", "default", "full"))
    assert fast.max_train_samples < default.max_train_samples and full.max_train_samples is None
    assert fast.epochs < default.epochs < full.epochs
