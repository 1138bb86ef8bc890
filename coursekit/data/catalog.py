"""One entry point, `load(name, profile)`, that picks the data a run profile wants."""

import dataclasses

from coursekit.data import embedded
from coursekit.profiles import Profile, get_profile

EMBEDDED_NAMES = ("digits", "faces")
ONLINE_NAMES = ("cifar10", "imagenette")
NAMES = EMBEDDED_NAMES + ONLINE_NAMES
FALLBACK_NAME = "digits"
DOWNLOAD_MEGABYTES_PER_SECOND = 50 / 8  # a 50 Mbit/s connection, for the time estimate


def load(name, profile=None, *, download=None):
    """Loads a dataset by name, sized for a run profile.

    Embedded datasets (`"digits"`, `"faces"`) are always available and are resized to
    `profile.image_size`. Online datasets follow the profile:

    - `fast` never touches the network: it loads the embedded digits instead and
      prints a one-line notice.
    - `default` uses the online dataset when it is already in the cache
      (see `coursekit.data.download.cache_dir`); otherwise, or when it cannot be read,
      it falls back to the embedded digits with a one-line notice that gives the
      exact call which downloads it, and its size. Pass `download=True` to fetch it.
    - `full` downloads the dataset when it is not cached; when that fails (offline, a
      checksum that keeps failing) it raises `DataUnavailableError`, whose message
      names the embedded fallback, rather than silently training on something else.

    CIFAR-10 keeps its native 32x32 pixels; Imagenette is resized to
    `profile.image_size`. The fallback digits are grey (one channel), so read
    `dataset.image_shape` rather than assuming three channels.

    The training split is capped to `profile.max_train_samples` by keeping its first
    examples: every split is already in a fixed random order, so this is a uniform
    random sample of the training set (class shares stay close to the full split's).
    Validation and test splits are never capped.

    Args:
        name: one of `"digits"`, `"faces"`, `"cifar10"`, `"imagenette"`.
        profile: a `coursekit.profiles.Profile`, a profile name, or `None` for the
            active profile (`COURSEKIT_PROFILE`, else the environment's).
        download: whether an online dataset missing from the cache may be fetched;
            by default only the `full` profile fetches. Ignored by `fast`.

    Returns:
        A `Dataset` of `float32` images in `[0, 1]` and `int64` labels.

    Raises:
        ValueError: if the name or the profile is unknown.
        DataUnavailableError: in `full` (or with `download=True`) when an online
            dataset can be neither read from the cache nor downloaded.

    Example:

    >>> digits = load("digits", "fast")
    >>> digits.x_train.shape
    (1000, 32, 32, 1)
    >>> load("cifar10", "fast").class_names[:3]
    Note: the fast profile uses the embedded 'digits' instead of 'cifar10' (no download).
    ('0', '1', '2')
    """
    profile = _as_profile(profile)
    if name not in NAMES:
        expected = ", ".join(repr(known) for known in NAMES)
        raise ValueError(f"Unknown dataset. Received: name={name!r}; expected one of {expected}.")
    if name in EMBEDDED_NAMES:
        dataset = _load_embedded(name, profile)
    elif profile.name == "fast":
        print(
            f"Note: the fast profile uses the embedded {FALLBACK_NAME!r} instead of "
            f"{name!r} (no download)."
        )
        dataset = _load_embedded(FALLBACK_NAME, profile)
    else:
        dataset = _load_online(name, profile, download)
    return cap_training_split(dataset, profile.max_train_samples)


def cap_training_split(dataset, max_train_samples):
    """Keeps the first `max_train_samples` training examples of a dataset.

    Args:
        dataset: a `Dataset` whose training split is in random order (every loader
            in `coursekit.data` returns one).
        max_train_samples: the cap, or `None` to keep everything.

    Returns:
        A `Dataset` with the same validation and test splits.

    Example:

    >>> cap_training_split(embedded.load_digits(), 100).x_train.shape
    (100, 8, 8, 1)
    """
    if max_train_samples is None or len(dataset.x_train) <= max_train_samples:
        return dataset
    return dataclasses.replace(
        dataset,
        x_train=dataset.x_train[:max_train_samples],
        y_train=dataset.y_train[:max_train_samples],
    )


def _as_profile(profile):
    if isinstance(profile, Profile):
        return profile
    if profile is None or isinstance(profile, str):
        return get_profile(profile)
    raise ValueError(
        f"`profile` must be a Profile, a profile name or None. Received: profile={profile!r}"
    )


def _load_embedded(name, profile):
    loader = {"digits": embedded.load_digits, "faces": embedded.load_faces}[name]
    return loader(image_size=profile.image_size)


def _load_online(name, profile, download):
    from coursekit.data import online
    from coursekit.data.download import DataUnavailableError

    if download is None:
        download = profile.name == "full"
    options = {"download": download, "max_train_samples": profile.max_train_samples}
    try:
        if name == "cifar10":
            return online.load_cifar10(**options)
        return online.load_imagenette(image_size=profile.image_size, **options)
    except DataUnavailableError as error:
        if download:
            raise
        print(
            f"Note: {error.reason} Using the embedded {FALLBACK_NAME!r} instead. {_how_to_download(name, profile)}"
        )
        return _load_embedded(FALLBACK_NAME, profile)


def _how_to_download(name, profile):
    """The exact call that downloads an online dataset, and what the download costs."""
    from coursekit.data import online
    from coursekit.data.download import cache_dir

    megabytes = {"cifar10": online.CIFAR10, "imagenette": online.IMAGENETTE}[name].size / 1e6
    seconds = megabytes / DOWNLOAD_MEGABYTES_PER_SECOND
    return (
        f"To train on {name!r}, download it once with "
        f"coursekit.data.load({name!r}, {profile.name!r}, download=True): {megabytes:.0f} MB, "
        f"about {seconds:.0f} s at 50 Mbit/s, kept in {cache_dir()} for later runs."
    )
