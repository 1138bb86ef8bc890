"""Mean image and per-channel mean: values, shapes, dtypes, and the leak they can cause."""

import numpy as np
import pytest

from coursekit import data


@pytest.fixture
def images():
    return np.random.default_rng(0).uniform(size=(7, 5, 4, 3)).astype("float32")


def test_mean_image_is_the_pixelwise_mean(images):
    mean = data.mean_image(images)
    assert mean.shape == (5, 4, 3) and mean.dtype == np.float32
    np.testing.assert_allclose(mean, images.astype("float64").mean(axis=0), rtol=1e-6)


def test_channel_mean_is_one_number_per_channel(images):
    mean = data.channel_mean(images)
    assert mean.shape == (3,) and mean.dtype == np.float32
    for channel in range(3):
        np.testing.assert_allclose(mean[channel], images[..., channel].mean(), rtol=1e-6)


@pytest.mark.parametrize("dtype, expected", [("uint8", "float32"), ("float64", "float64")])
def test_dtypes(dtype, expected):
    images = np.full((2, 3, 3, 3), 200, dtype)
    assert data.mean_image(images).dtype == expected
    assert data.channel_mean(images).dtype == expected
    assert data.channel_mean(images).tolist() == [200.0] * 3  # no uint8 overflow


def test_subtracting_the_training_mean_centres_training_data_only(images):
    x_train, x_test = images, images[:3] + 1.0
    for statistic in (data.mean_image, data.channel_mean):
        mean = statistic(x_train)
        np.testing.assert_allclose(statistic(x_train - mean), 0.0, atol=1e-6)
        # The test split keeps its own offset: it was not used to compute the mean.
        assert np.all(statistic(x_test - mean) > 0.5)


def test_the_classic_mistake_lets_test_data_change_the_mean(images):
    x_train, x_test = images, images[:3] + 1.0
    leaky = data.mean_image(np.concatenate([x_train, x_test]))
    assert not np.allclose(leaky, data.mean_image(x_train))


@pytest.mark.parametrize("shape", [(5, 4, 3), (0, 2, 2, 1), (2, 2, 2, 2, 1)])
def test_rejects_anything_but_a_batch_of_images(shape):
    for statistic in (data.mean_image, data.channel_mean):
        with pytest.raises(ValueError, match=r"Received: images with shape"):
            statistic(np.zeros(shape))
