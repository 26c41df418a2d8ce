"""Running calls at the same moment, each on its own thread and database connection."""

import threading

from django.db import connection


def at_once(calls):
    """Start every call at the same moment (a barrier), each on its own thread and database
    connection; return their results in order. Any exception fails the test, in the test's thread."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # asserted on below
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results
