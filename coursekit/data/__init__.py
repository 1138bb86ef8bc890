"""Datasets for the course: embedded ones that work offline, online ones with a cache,
preprocessing, input pipelines, and one entry point, `load(name, profile)`, that
follows the run profile."""

from coursekit.data.catalog import NAMES, cap_training_split, load
from coursekit.data.download import DataUnavailableError, cache_dir
from coursekit.data.embedded import (
    Dataset,
    load_digits,
    load_faces,
    resize_images,
    sample_images,
    split_dataset,
)
from coursekit.data.online import load_cifar10, load_imagenette
from coursekit.data.pipeline import make_array_dataset, make_tf_dataset, make_tf_datasets
from coursekit.data.preprocessing import channel_mean, mean_image

__all__ = [
    "NAMES",
    "DataUnavailableError",
    "Dataset",
    "cache_dir",
    "cap_training_split",
    "channel_mean",
    "load",
    "load_cifar10",
    "load_digits",
    "load_faces",
    "load_imagenette",
    "make_array_dataset",
    "make_tf_dataset",
    "make_tf_datasets",
    "mean_image",
    "resize_images",
    "sample_images",
    "split_dataset",
]
