"""The ImageNet backbone when its weights cannot be downloaded, and notebook 06's fallback."""

import ast
import pathlib
import urllib.error

import keras
import numpy as np
import pytest
from keras.src.utils import file_utils

from coursekit import data, models
from coursekit.models.pretrained import FALLBACK
from coursekit.profiles import get_profile

SOURCE = pathlib.Path(__file__).resolve().parents[1] / "notebooks/src/06_cnn_architectures.py"


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """An empty Keras cache, and every download fails as without a network connection."""
    monkeypatch.setattr(file_utils.config, "keras_home", lambda: str(tmp_path / "keras"))
    attempts = []

    def unreachable(url, *args, **kwargs):
        attempts.append(url)
        raise urllib.error.URLError(OSError(101, "Network is unreachable"))

    monkeypatch.setattr(file_utils, "urlretrieve", unreachable)
    return attempts


def test_imagenet_backbone_offline_raises_data_unavailable_naming_the_fallback(offline, tmp_path):
    with pytest.raises(data.DataUnavailableError) as raised:
        models.imagenet_backbone((32, 32, 3), cache_dir=tmp_path)
    assert FALLBACK in str(raised.value)
    assert "Network is unreachable" in raised.value.reason
    assert "URL fetch failure" in str(raised.value.__cause__)
    assert offline == [models.pretrained.WEIGHTS_URL + models.pretrained.WEIGHTS_FILE]
    assert not list(tmp_path.glob("models/*"))  # no partial file left in the cache


def _notebook_function(name):
    """A function defined in notebook 06's source, with the names it uses."""
    tree = ast.parse(SOURCE.read_text())
    definition = next(node for node in tree.body if getattr(node, "name", None) == name)
    namespace = {"data": data, "models": models, "keras": keras}
    exec(compile(ast.Module([definition], []), str(SOURCE), "exec"), namespace)
    return namespace[name]


@pytest.mark.parametrize("profile_name", ["default", "full"])
def test_notebook_06_says_it_is_offline_and_uses_its_own_backbone(profile_name, offline, capsys):
    imagenet_or_none = _notebook_function("imagenet_or_none")
    assert imagenet_or_none(get_profile(profile_name)) is None
    assert offline  # the download was tried
    printed = capsys.readouterr().out
    assert "offline" in printed and "in-notebook backbone" in printed


def test_notebook_06_does_not_try_the_network_in_the_fast_profile(offline):
    imagenet_or_none = _notebook_function("imagenet_or_none")
    assert imagenet_or_none(get_profile("fast")) is None
    assert not offline


@pytest.fixture
def cached_weights(offline, tmp_path):
    """Random MobileNetV2 weights in Keras's (empty, offline) cache, named as ImageNet's."""
    import h5py
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    cache = tmp_path / "keras" / "models"
    keras.utils.set_random_seed(0)
    model = keras.applications.MobileNetV2(
        input_shape=(32, 32, 3), include_top=False, weights=None, pooling="avg"
    )
    cache.mkdir(parents=True)
    with h5py.File(cache / models.pretrained.WEIGHTS_FILE, "w") as file:
        save_weights_to_hdf5_group(file, model)
    return model.get_weights()


def test_imagenet_backbone_loads_the_cached_weights_without_downloading(cached_weights, offline):
    backbone = models.imagenet_backbone((32, 32, 3))
    assert backbone.output.shape == (None, 1280)
    assert not offline
    for loaded, saved in zip(backbone.get_weights(), cached_weights, strict=True):
        np.testing.assert_array_equal(loaded, saved)
