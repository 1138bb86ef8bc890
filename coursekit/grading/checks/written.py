"""Written-answer exercises, graded by hand (nbgrader "manually graded answer" cells)."""

from coursekit.grading.registry import Exercise, register

for _id, _notebook, _title, _points in [
    ("01.4", "01_convolution_arithmetic", "Why convolutional layers need so few parameters", 2),
    ("01.6", "01_convolution_arithmetic", "Three 3x3 layers or one 7x7 layer?", 2),
]:
    register(Exercise(id=_id, notebook=_notebook, title=_title, points=_points))
