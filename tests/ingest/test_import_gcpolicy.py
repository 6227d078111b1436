"""The import's garbage-collector setting is scoped and restored."""

import gc
import threading

from smarketing.ingest.csvimport.gcpolicy import BULK_THRESHOLD, bulk_gc


def test_thresholds_raised_inside_and_restored_after_nested_use():
    before = gc.get_threshold()
    with bulk_gc():
        assert gc.get_threshold() == BULK_THRESHOLD
        with bulk_gc():
            assert gc.get_threshold() == BULK_THRESHOLD
        assert gc.get_threshold() == BULK_THRESHOLD
    assert gc.get_threshold() == before


def test_restored_after_an_exception_and_concurrent_imports():
    before = gc.get_threshold()
    inside, release = threading.Event(), threading.Event()

    def other_import():
        with bulk_gc():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other_import)
    thread.start()
    inside.wait(5)
    try:
        with bulk_gc():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.get_threshold() == BULK_THRESHOLD  # the other import still runs
    release.set()
    thread.join()
    assert gc.get_threshold() == before
