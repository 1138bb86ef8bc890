"""`coursekit grade`: instructor-only batch grading, apart from what a student's kernel loads.

One submission's path through these modules, in order:

1. `grade.grade` lists the submissions and grades each with `grade.grade_submission`;
2. `submission` puts the hand-in cell (`protocol.hand_in_cell`) in place of every
   check cell;
3. `execution` runs the notebook in a fresh kernel under `limits`; each hand-in
   cell writes the student's function to a file (`protocol.hand_in`);
4. `checker` tests each function in a fresh `evaluator` process (the job and the
   events of `protocol`), with `hidden` cases added, and judges the answers itself
   (`coursekit.grading.judge`);
5. `outputs` writes the CSV, the JSON and the feedback files.

Its dependencies (nbclient, cloudpickle, psutil) come with the `instructor` extra.
"""
