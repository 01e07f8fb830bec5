"""Writes its own run-stage result ({"status": "ok"} with no measurement) and exits: `runtime_error`."""
import json
import os
import sys

from _base import Reference


class ModelNew(Reference):
    def forward(self, x):
        request = json.loads(open(sys.argv[1]).read())
        with open(request["result_path"], "w") as sink:
            sink.write(json.dumps({"status": "ok"}))
        os._exit(0)
