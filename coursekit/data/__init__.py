"""Datasets for the course: embedded ones that work offline, and their splits."""

from coursekit.data.embedded import (
    Dataset,
    load_digits,
    load_faces,
    resize_images,
    sample_images,
    split_dataset,
)

__all__ = [
    "Dataset",
    "load_digits",
    "load_faces",
    "resize_images",
    "sample_images",
    "split_dataset",
]
