"""Online datasets: CIFAR-10 and Imagenette, read from the download cache."""

from coursekit.data.download import DataUnavailableError, cache_dir


def load_cifar10(*, download=True):
    """Loads CIFAR-10 from the download cache (fetching and parsing land next)."""
    raise DataUnavailableError(f"'cifar10' is not in the cache ({cache_dir()}).")


def load_imagenette(image_size=160, *, download=True):
    """Loads Imagenette from the download cache (fetching and parsing land next)."""
    raise DataUnavailableError(f"'imagenette' is not in the cache ({cache_dir()}).")
