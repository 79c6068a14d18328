"""An S3-compatible server for the tests: moto on loopback, signatures checked.

Started by tests/support/s3.ts with the venv's python, with the buckets to create as arguments. Prints one JSON line
{"endpoint", "accessKeyId", "secretAccessKey", "region"} on stdout once it listens, then
serves until its stdin closes (the test process ended, however it ended) or SIGTERM.
"""
import json
import os
import sys

# Moto checks SigV4 signatures against its IAM users only when this count is finite; it is
# read when moto.settings is imported, so set it first. 0: every request is authenticated.
os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"

from moto.core import DEFAULT_ACCOUNT_ID  # noqa: E402
from moto.iam.models import iam_backends  # noqa: E402
from moto.s3.models import s3_backends  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


def main() -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    iam = iam_backends[DEFAULT_ACCOUNT_ID]["aws"]
    iam.create_user("us-east-1", "dagx-tests")
    iam.put_user_policy("dagx-tests", "s3-all", POLICY)
    key = iam.create_access_key("dagx-tests")
    for bucket in sys.argv[1:]:  # the buckets to create, named on the command line
        s3_backends[DEFAULT_ACCOUNT_ID]["aws"].create_bucket(bucket, "us-east-1")
    print(json.dumps({
        "endpoint": f"http://{host}:{port}",
        "accessKeyId": key.access_key_id,
        "secretAccessKey": key.secret_access_key,
        "region": "us-east-1",
    }), flush=True)
    sys.stdin.read()  # returns at EOF: the parent closed the pipe or died
    server.stop()


if __name__ == "__main__":
    main()
