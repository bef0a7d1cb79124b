"""Hotpass operations as Invoke tasks: the root collection, one namespace per ops/ module.

`invoke --list` shows them all. Task modules live in ops/ and call the hotpass library
through ops/adapter.py. `refine`, `enrich`, `qa`, `test`, `lint` and `ci` are root
tasks, as the Makefile and
the runbooks call them. Importing this file must stay cheap (no pandas, no
Prefect).
"""

from invoke import Collection

from ops import (
    bench,
    credentials,
    ctx,
    data,
    deploy,
    deps,
    dev,
    doctor,
    enrich,
    env,
    evidence,
    incident,
    net,
    qa,
    refine,
    rehearse,
    setup,
    stack,
    workers,
)

ns = Collection(deps, data, bench, workers, env, stack, evidence, incident, rehearse, net, ctx,
                credentials, refine.refine, enrich.enrich, qa.qa, deploy.deploy, doctor.doctor,
                setup.setup, dev.test, dev.lint, dev.ci)
