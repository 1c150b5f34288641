"""gunicorn's settings file, read from the working directory whenever gunicorn starts here (the systemd unit,
``make serve-gunicorn``, the benchmarks, the deployment tests); settings on the command line still win.

One hook: once a worker has loaded the app, its objects (SQLAlchemy's mappers and compiled statements,
Babel's data, the templates: some 190,000 of them) are moved out of the garbage collector's sight
(``gc.freeze``). They live as long as the worker, yet every collection of the oldest generation walked them
all again: a pause of about 80 ms that fell on whichever request was running — measured as the slowest
tenth of the national completion report by centre (p50 78 ms, two of twenty requests over 160 ms; frozen,
none over 84 ms). Only objects alive at that moment are frozen: garbage made by requests is collected as
before."""

import gc


def post_worker_init(worker) -> None:
    gc.collect()
    gc.freeze()
