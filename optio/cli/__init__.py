"""The ``optio`` command (:mod:`optio.cli.main`) and what its commands share with the ape scripts."""
