"""`coursekit assign`: the folder of notebooks handed out to students.

Only the student versions go in (solutions blanked, check cells locked), built
fresh from `notebooks/src`; solution notebooks and hidden tests stay behind.
"""

import pathlib

from coursekit.grading.build import BuildError, build_notebook, notebook_sources


def release(outdir, root=".", notebooks=None):
    """Writes the student release: the student version of each notebook, nothing else.

    The notebooks are built from the sources, so the release is current even when
    the committed notebooks are not. Solutions, solution notebooks and hidden
    tests never go into it.

    Args:
        outdir: the release folder (created if needed).
        root: the course repository's root.
        notebooks: notebook stems to release, e.g. `["01_convolution_arithmetic"]`;
            all of them by default.

    Returns:
        The paths written.

    Raises:
        BuildError: when a source breaks a convention or a named notebook does not exist.
    """
    import nbformat

    sources = {path.stem: path for path in notebook_sources(pathlib.Path(root))}
    chosen = list(sources) if notebooks is None else list(notebooks)
    unknown = [name for name in chosen if name not in sources]
    if unknown:
        raise BuildError(
            f"No notebook source for {', '.join(unknown)}. Known: {', '.join(sources)}."
        )
    outdir = pathlib.Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in chosen:
        target = outdir / f"{name}.ipynb"
        target.write_text(nbformat.writes(build_notebook(sources[name]).student) + "\n")
        written.append(target)
    return written
