"""`coursekit grade`: instructor-only batch grading, apart from what a student's kernel loads.

One submission's path through these modules, in order:

1. `batch.Batch` checks the outputs, lists the submissions (`grade.collect_submissions`)
   and skips those already recorded (`store`); `grade.grade_notebook` grades each;
2. `submission` reads the file (a regular file of a sane size only) and puts the
   hand-in cell (`protocol.hand_in_cell`) in place of every check cell;
3. `sandbox` starts a `worker` in the submission's own sandbox (bubblewrap), and
   `session` sends it the cells (`protocol.Session`) and reads its events back, within a
   time budget and a byte budget;
4. in the sandbox, `execution` runs the notebook in a fresh kernel under `limits`; each
   hand-in cell saves the student's function (`protocol.hand_in`), and the worker has it
   tested at once by a fresh `evaluator` process (`checker.run_evaluator`), or in a fork
   of the kernel when it cannot be carried;
5. back in the grader, `checker.verdict` judges the answers against the reference, with
   `hidden` cases added (`coursekit.grading.judge`);
6. the result is recorded (`store`) and `outputs` writes the CSV, the JSON and the
   feedback files again, safely (`files`).

Its dependencies (nbformat, jupyter_client, cloudpickle, psutil) come with the
`instructor` extra; bubblewrap comes from the system (`apt-get install bubblewrap`).
"""
