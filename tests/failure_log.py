"""pytest plugin: with HARNESS_TEST_FAILURE_LOG set, each failure's report is appended to that file as it happens.

pytest prints failures at the end of the session; a GPU run killed at its time limit would lose them.
"""
import os


def pytest_runtest_logreport(report):
    path = os.environ.get("HARNESS_TEST_FAILURE_LOG")
    if path and report.failed:
        with open(path, "a") as log:
            log.write(f"{report.nodeid} ({report.when})\n{report.longreprtext}\n\n")
