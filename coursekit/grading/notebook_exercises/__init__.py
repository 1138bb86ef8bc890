"""The course's graded exercises: one module per notebook, named like the notebook.

`nb02_pooling_and_downsampling.py` declares the exercises of
`notebooks/src/02_pooling_and_downsampling.py` in its `EXERCISES` tuple, made with
`coursekit.grading.registry.coding` and `written`: each coding exercise's reference,
test cases and hints for classic mistakes. `coursekit.grading.exercises()` lists them. (The package is not called `exercises`: a
subpackage of that name would replace the function `coursekit.grading.exercises` on import.)
"""
