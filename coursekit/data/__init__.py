"""Datasets for the course: embedded ones that work offline, online ones with a cache,
generated shapes with boxes and masks (`make_shapes`), preprocessing, input pipelines,
and entry points that follow the run profile: `load(name, profile)` for classification,
`load_detection(name, profile)` for boxes (generated shapes or PASCAL VOC) and
`load_segmentation(name, profile)` for masks (generated shapes or Oxford-IIIT Pet)."""

from coursekit.data.catalog import NAMES, cap_training_split, load
from coursekit.data.detection import (
    DETECTION_NAMES,
    DetectionDataset,
    DetectionSplit,
    load_detection,
)
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
from coursekit.data.pets import PETS_CLASSES, load_pets
from coursekit.data.pipeline import make_array_dataset, make_tf_dataset, make_tf_datasets
from coursekit.data.preprocessing import channel_mean, mean_image
from coursekit.data.segmentation import (
    SHAPES_CLASSES,
    ShapesSizes,
    load_segmentation,
    shapes_dataset,
)
from coursekit.data.shapes import SHAPE_NAMES, ShapesDataset, make_shapes
from coursekit.data.voc import VOC_CLASSES, load_voc

__all__ = [
    "DETECTION_NAMES",
    "NAMES",
    "PETS_CLASSES",
    "SHAPES_CLASSES",
    "SHAPE_NAMES",
    "VOC_CLASSES",
    "DataUnavailableError",
    "Dataset",
    "DetectionDataset",
    "DetectionSplit",
    "ShapesDataset",
    "ShapesSizes",
    "cache_dir",
    "cap_training_split",
    "channel_mean",
    "load",
    "load_cifar10",
    "load_detection",
    "load_digits",
    "load_faces",
    "load_imagenette",
    "load_pets",
    "load_segmentation",
    "load_voc",
    "make_array_dataset",
    "make_shapes",
    "make_tf_dataset",
    "make_tf_datasets",
    "mean_image",
    "resize_images",
    "sample_images",
    "shapes_dataset",
    "split_dataset",
]
