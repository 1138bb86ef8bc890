"""`coursekit.data.load`: names, profiles, resizing, the training cap and the fallbacks."""

import numpy as np
import pytest

from coursekit import data
from coursekit.data import online
from coursekit.profiles import get_profile


@pytest.fixture
def no_network(monkeypatch):
    """Makes any attempt to reach an online loader fail the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the fast profile must not reach the online loaders")

    monkeypatch.setattr(online, "load_cifar10", refuse)
    monkeypatch.setattr(online, "load_imagenette", refuse)


def fake_online(monkeypatch, available):
    """Replaces the online loaders; records their arguments in the returned list."""
    calls = []

    def loader(name):
        def load(**kwargs):
            calls.append((name, kwargs))
            if not available:
                raise data.DataUnavailableError(f"{name!r} is not in the cache.")
            images = np.zeros((2_000, 32, 32, 3), "float32")
            return data.split_dataset(images, np.arange(2_000) % 10, [str(c) for c in range(10)])

        return load

    monkeypatch.setattr(online, "load_cifar10", loader("cifar10"))
    monkeypatch.setattr(online, "load_imagenette", loader("imagenette"))
    return calls


@pytest.mark.parametrize("name", ["digits", "faces"])
@pytest.mark.parametrize("profile", ["fast", "default", "full"])
def test_embedded_data_is_resized_to_the_profile_and_capped(name, profile):
    sizes = get_profile(profile)
    dataset = data.load(name, sizes)
    assert dataset.image_shape == (sizes.image_size, sizes.image_size, 1)
    full = {"digits": data.load_digits, "faces": data.load_faces}[name](sizes.image_size)
    expected_train = min(len(full.y_train), sizes.max_train_samples or len(full.y_train))
    assert len(dataset.y_train) == expected_train
    np.testing.assert_array_equal(dataset.y_train, full.y_train[:expected_train])
    np.testing.assert_array_equal(dataset.y_test, full.y_test)


def test_profile_may_be_given_by_name_or_taken_from_the_environment(monkeypatch):
    monkeypatch.setenv("COURSEKIT_PROFILE", "fast")
    assert data.load("digits").x_train.shape == data.load("digits", "fast").x_train.shape


@pytest.mark.parametrize("name", ["cifar10", "imagenette"])
def test_fast_profile_falls_back_to_digits_without_the_network(name, no_network, capsys):
    dataset = data.load(name, "fast")
    assert dataset.class_names == tuple(str(digit) for digit in range(10))
    assert dataset.image_shape == (32, 32, 1)
    notice = capsys.readouterr().out
    assert notice.count("\n") == 1 and "digits" in notice and name in notice


@pytest.mark.parametrize("name", ["cifar10", "imagenette"])
def test_default_profile_uses_cached_online_data_without_downloading(monkeypatch, name):
    calls = fake_online(monkeypatch, available=True)
    dataset = data.load(name, "default")
    assert dataset.image_shape == (32, 32, 3)
    assert calls[0][0] == name and calls[0][1]["download"] is False
    assert calls[0][1]["max_train_samples"] == 10_000
    if name == "imagenette":
        assert calls[0][1]["image_size"] == 32


def test_default_profile_falls_back_with_a_notice_when_not_cached(monkeypatch, capsys):
    fake_online(monkeypatch, available=False)
    dataset = data.load("cifar10", "default")
    assert dataset.image_shape == (32, 32, 1)
    notice = capsys.readouterr().out
    assert notice.count("\n") == 1 and "not in the cache" in notice and "'digits'" in notice
    # The exact call that downloads it, and what that costs.
    assert "coursekit.data.load('cifar10', 'default', download=True): 170 MB" in notice
    assert "about 27 s at 50 Mbit/s" in notice


def test_full_profile_downloads_and_raises_naming_the_fallback(monkeypatch):
    calls = fake_online(monkeypatch, available=False)
    with pytest.raises(data.DataUnavailableError, match=r"load\('digits', profile\)"):
        data.load("cifar10", "full")
    assert calls == [("cifar10", {"download": True, "max_train_samples": None})]


def test_explicit_download_in_the_default_profile_raises_instead_of_falling_back(monkeypatch):
    fake_online(monkeypatch, available=False)
    with pytest.raises(data.DataUnavailableError, match="not in the cache"):
        data.load("imagenette", "default", download=True)


def test_training_cap_keeps_validation_and_test(monkeypatch):
    fake_online(monkeypatch, available=True)
    dataset = data.load("cifar10", "full")
    assert len(dataset.y_train) == 1_400 and len(dataset.y_val) == 300
    capped = data.cap_training_split(dataset, 50)
    assert len(capped.y_train) == 50 and capped.x_val is dataset.x_val


def test_unknown_name_lists_the_allowed_names():
    with pytest.raises(ValueError, match=r"Received: name='mnist'.*'digits', 'faces', 'cifar10'"):
        data.load("mnist", "fast")


@pytest.mark.parametrize("profile", ["quick", 3])
def test_unknown_profile_says_what_was_received(profile):
    with pytest.raises(ValueError, match="Received"):
        data.load("digits", profile)
