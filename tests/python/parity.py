"""What every PyTorch parity test shares: the subq binding on the path, fresh random inputs (never
near zero), the error metric, and a tally that ends in 'N passed, M failed' and fails the run on
any validation-layer message."""
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import subq  # noqa: E402,F401  (re-exported for the tests)

rng = np.random.default_rng()


def random(*shape, scale=1.0):
    """float32 uniform in +-[0.05, 1] * scale."""
    values = rng.uniform(0.05, 1.0, shape) * rng.choice([-1.0, 1.0], shape) * scale
    return values.astype(np.float32)


def t64(array):
    return torch.from_numpy(np.asarray(array)).double()


def error(got, expected, allowance=1.0):
    """max |got - expected| / allowance relative to max(1, max |expected|). allowance (>= 1, per
    element, broadcast): how much the computation magnifies fp32 rounding there, where it does."""
    return float((np.abs(got - expected) / allowance).max() / max(1.0, np.abs(expected).max()))


class Results:
    def __init__(self):
        self.passed = self.failed = 0

    def record(self, name, ok, detail=""):
        print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")
        self.passed += bool(ok)
        self.failed += not ok

    def close(self, name, got, expected, tol, allowance=1.0):
        e = error(got, expected, allowance) if got.shape == expected.shape else math.inf
        self.record(name, e < tol, f"max error {e:.2e}")

    def raises(self, name, call, mentions, status=None):
        """call() must raise SubqError whose message mentions `mentions` (and has `status`)."""
        try:
            call()
            self.record(name, False, "was accepted")
        except subq.SubqError as e:
            self.record(name, mentions in str(e) and status in (None, e.status), str(e))

    def finish(self, ctx):
        """The closing line and the exit code; a validation message is a failure."""
        if ctx.validation_messages:
            self.record(f"{ctx.validation_messages} validation messages", False)
        print(f"{self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0
