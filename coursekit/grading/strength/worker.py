"""The process that runs mutants, so that none can hang or exhaust the measuring one.

A worker serves one exercise at a time (`load(task)`): it draws the fuzz cases once,
computes the reference's answers to them once, then runs one job at a time: define a
mutant from its source, and either compare it with the reference on the fuzz cases
(`"fuzz"`) or run the exercise's check on it (`"check"`). The parent bounds each job's
time and replaces a worker it had to stop; the worker caps its own address space
(where the system allows it), so a mutant that allocates wildly gets a `MemoryError`,
an ordinary error of the function under test.
"""

import copy
import dataclasses
import os
import pathlib
import pickle
import queue
import subprocess
import sys
import threading
import warnings

from coursekit.grading.compare import mismatch
from coursekit.grading.judge import call_cases, judge
from coursekit.grading.plain import dumps, loads
from coursekit.grading.registry import get_exercise
from coursekit.grading.tripwire import ReferenceTrap, resolve, trap_targets

FUZZ_SEED = 12
MEMORY_MB = 1024  # what a mutant may allocate beyond what the worker holds


@dataclasses.dataclass(frozen=True)
class Task:
    """What a worker needs to rebuild an exercise in its own process.

    Attributes:
        exercise_id: the exercise.
        hidden_tests: a `HiddenTests` value (sent as its source), or `None`.
    """

    exercise_id: str
    hidden_tests: object = None

    def exercise(self):
        declared = self.hidden_tests.exercises if self.hidden_tests else ()
        found = {exercise.id: exercise for exercise in declared}
        return found.get(self.exercise_id) or get_exercise(self.exercise_id)

    def check_cases(self, exercise):
        if self.hidden_tests is None:
            return exercise.cases()
        return [case for case, _ in self.hidden_tests.grading_cases(exercise)]


class Worker:
    """A worker process, started on first use and again after a stop.

    It is `python -m coursekit.grading.strength`, exchanging pickled messages
    over its standard input and output (the mutants' own output goes nowhere), so it
    works the same from a script, a notebook or the command line. One worker can
    measure several exercises in turn, which saves starting a process for each.

    Args:
        memory_mb: the memory a mutant may allocate beyond what the worker holds.
    """

    def __init__(self, memory_mb=MEMORY_MB):
        self.memory_mb = memory_mb
        self.task = None
        self._process = None
        self._messages = None

    def load(self, task):
        """Makes `task`'s exercise the one the next jobs run on.

        Raises:
            RuntimeError: when the exercise cannot be built there (its fuzz generator
                or its reference fails, say), with the worker's reason.
        """
        self.task = task
        if self._process is not None:
            self._send(task)
            self._ready()

    def run(self, job, source, timeout):
        """Runs one job on the mutant defined by `source`.

        Returns:
            The worker's messages, ending with its answer, e.g.
            `[("case", 0), ("case", 1), ("fuzz", (1, "why"))]`, or ending with
            `("timeout", None)` or `("crashed", None)` when the job did not finish.
        """
        self._start()
        self._send((job, source))
        messages = []
        while True:
            try:
                message = self._messages.get(timeout=timeout)
            except queue.Empty:
                message = ("timeout", None)
            messages.append(message)
            if message[0] in ("timeout", "crashed"):
                self.stop()
            if message[0] != "case":
                return messages

    def stop(self):
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process.stdin.close()
        self._process = self._messages = None

    def _start(self):
        if self._process is not None:
            return
        root = str(pathlib.Path(__file__).resolve().parents[3])
        path = os.environ.get("PYTHONPATH")
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, path]))}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "coursekit.grading.strength", str(self.memory_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=environment,
        )
        self._messages = queue.Queue()
        threading.Thread(
            target=_read, args=(self._process.stdout, self._messages), daemon=True
        ).start()
        self._send(self.task)
        self._ready()

    def _ready(self):
        kind, detail = self._messages.get()
        if kind != "ready":
            self.stop()
            raise RuntimeError(f"Exercise {self.task.exercise_id} cannot be measured: {detail}")

    def _send(self, message):
        try:
            pickle.dump(message, self._process.stdin)
            self._process.stdin.flush()
        except OSError:
            pass  # the worker died; its reader reports it


def _read(stream, messages):
    while True:
        try:
            messages.put(pickle.load(stream))
        except Exception:  # end of stream: the process exited or was killed
            messages.put(("crashed", None))
            return


def serve(inbox, outbox, memory_mb):
    """The worker's loop (in the child process): tasks and jobs from `inbox`, answers to
    `outbox`."""
    import numpy as np

    warnings.simplefilter("ignore")
    np.seterr(all="ignore")
    _cap_memory(memory_mb)

    def send(message):
        pickle.dump(message, outbox)
        outbox.flush()

    while True:
        try:
            message = pickle.load(inbox)
        except EOFError:
            return
        if isinstance(message, Task):
            try:
                exercise = dataclasses.replace(message.exercise(), hints=())
                fuzz_cases = list(exercise.fuzz(np.random.default_rng(FUZZ_SEED)))
                expected = [_reference(exercise, case) for case in fuzz_cases]
                check_cases = message.check_cases(exercise)
            except Exception as error:  # reported to the parent, which raises it
                send(("fatal", f"{type(error).__name__}: {error}"))
                continue
            send(("ready", len(fuzz_cases)))
            continue
        job, source = message
        function = _define(source, exercise.target)
        if job == "fuzz":
            answer = _first_difference(exercise, function, fuzz_cases, expected, send)
        else:
            answer = _passes_check(exercise, function, check_cases)
        send((job, answer))


def _reference(exercise, case):
    return exercise.reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))


def _define(source, name):
    namespace = {"__name__": "coursekit_mutant"}
    exec(compile(source, "<mutant>", "exec"), namespace)
    return namespace[name]


def _first_difference(exercise, function, cases, expected, send):
    """`(index, why)` of the first fuzz case where `function` is wrong, or `None`."""
    compare = exercise.compare or mismatch
    for index, (case, answer) in enumerate(zip(cases, expected, strict=True)):
        send(("case", index))
        outcome = call_cases(function, [case], reduce=_plain)[0]
        if outcome.error or outcome.not_implemented:
            return index, outcome.error or "raised NotImplementedError."
        problem = compare(outcome.value, answer)
        if problem is None and outcome.changed_inputs:
            problem = "it changed its input arrays."
        if problem is not None:
            return index, problem
    return None


def _passes_check(exercise, function, cases):
    """Whether the exercise's check, run as `run_check` runs it, passes `function`.

    Stops at the first failed case; the reference is trapped only while `function` runs.
    """
    trapped = resolve(trap_targets(exercise))
    for case in cases:
        with ReferenceTrap(trapped) as trap:
            outcomes = call_cases(function, [case], reduce=_plain)
        if trap.triggered or not judge(exercise, [case], outcomes).passed:
            return False
    return True


def _plain(value):
    return loads(dumps(value))


def _cap_memory(megabytes):
    """Caps the address space at its current size plus `megabytes` (Linux only)."""
    try:
        import resource

        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (ImportError, OSError):
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = current + megabytes * 2**20
    if hard == resource.RLIM_INFINITY or limit < hard:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def main(memory_mb):
    """Serves the parent on standard input and output; what a mutant prints goes nowhere."""
    outbox = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    serve(sys.stdin.buffer, outbox, memory_mb)
