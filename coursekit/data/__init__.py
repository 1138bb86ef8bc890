"""Datasets for the course: embedded ones that work offline, online ones with a cache,
generated shapes with boxes and masks (`make_shapes`), preprocessing, input pipelines,
and one entry point, `load(name, profile)`, that follows the run profile."""

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
from coursekit.data.shapes import SHAPE_NAMES, ShapesDataset, make_shapes

__all__ = [
    "NAMES",
    "SHAPE_NAMES",
    "DataUnavailableError",
    "Dataset",
    "ShapesDataset",
    "cache_dir",
    "cap_training_split",
    "channel_mean",
    "load",
    "load_cifar10",
    "load_digits",
    "load_faces",
    "load_imagenette",
    "make_array_dataset",
    "make_shapes",
    "make_tf_dataset",
    "make_tf_datasets",
    "mean_image",
    "resize_images",
    "sample_images",
    "split_dataset",
]
