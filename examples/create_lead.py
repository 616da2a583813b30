#!/usr/bin/env python3
"""Creates one lead with the jing Python package and prints "jing_uuid: <uuid>".

Sandbox (default): JING_BASE_URL=http://127.0.0.1:PORT and the sandbox's default credentials.
Live API: set JING_APP_ID and JING_APP_SECRET (optionally JING_BASE_URL, and
JING_BUSINESS_TYPE to skip the metadata lookup).

Run from a checkout:  PYTHONPATH=bindings/python python3 examples/create_lead.py
(the package finds target/debug/libjing.so itself; or set JING_LIB_PATH).
"""

import json
import os
import sys

import jing

SANDBOX_APP_ID = "1000000000000001"
SANDBOX_APP_SECRET = "0123456789abcdef0123456789abcdef"


def main():
    app_id = os.environ.get("JING_APP_ID")
    app_secret = os.environ.get("JING_APP_SECRET")
    base_url = os.environ.get("JING_BASE_URL")
    live = bool(app_id and app_secret)
    if not live and not base_url:
        print("set JING_BASE_URL to a running sandbox, or JING_APP_ID and JING_APP_SECRET "
              "for the live API", file=sys.stderr)
        return 2
    config = {
        "app_id": app_id if live else SANDBOX_APP_ID,
        "app_secret": app_secret if live else SANDBOX_APP_SECRET,
        "base_url": base_url or None,  # None: the library default (production)
    }
    try:
        with jing.Client(**config) as client:
            business_type = os.environ.get("JING_BUSINESS_TYPE")
            if not business_type:
                meta = client.request("GET", "/v1/crm/object/business_types?object_name=lead")
                business_type = meta["data"]["list"][0]["jing_uuid"]
            env = client.create_lead({
                "business_type": business_type,
                "name": "张伟",
                "mobile": "13800000000",
                "description": "Created by the libjing Python example ✓",
            })
    except jing.OutcomeUnknownError as e:
        # The lead may exist: look it up before creating it again.
        print("outcome unknown:", json.dumps({"error": e.raw}, ensure_ascii=False), file=sys.stderr)
        return 1
    except jing.JingError as e:
        print("%s: %s" % (type(e).__name__, json.dumps({"error": e.raw}, ensure_ascii=False)),
              file=sys.stderr)
        return 1
    print("jing_uuid: %s" % env["data"]["jing_uuid"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
