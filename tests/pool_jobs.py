"""Jobs for `OrderedPool` tests. Workers import this module by name, so the tests
put this directory on the workers' PYTHONPATH."""

from __future__ import annotations

import os
import random
import signal
import time


class Sleepy:
    """Each item sleeps a seeded random while (mostly none, now and then 10 ms), so
    workers finish out of turn and the head-of-line chunk is often the last back."""

    def __init__(self, seed: int):
        self.seed = seed

    def setup(self) -> None:
        pass

    def run(self, item: int) -> int:
        rng = random.Random(self.seed * 100_003 + item)
        time.sleep(rng.choice((0, 0, 0, 0.001, 0.003, 0.01)))
        return item * 2

    def lost(self, item: int, reason: str) -> tuple:
        return ("lost", item, reason)


class Wedges:
    """Item ``victim`` wedges its worker: it sleeps for good (``how="sleep"``) or stops
    its own process (``how="stop"``, SIGSTOP). With ``flag`` (a path) only the first
    time: the flag file is created then, and a retry goes through."""

    def __init__(self, victim: int, how: str = "sleep", flag: str | None = None):
        self.victim, self.how, self.flag = victim, how, flag

    def setup(self) -> None:
        pass

    def run(self, item: int) -> int:
        if item == self.victim and not (self.flag and os.path.exists(self.flag)):
            if self.flag:
                with open(self.flag, "w") as fh:
                    fh.write("wedged\n")
            if self.how == "stop":
                os.kill(os.getpid(), signal.SIGSTOP)
            else:
                time.sleep(3600)
        return item * 2

    def lost(self, item: int, reason: str) -> tuple:
        return ("lost", item, reason)
