"""boto3 (Debian's python3-boto3) against the gateway.

Run by clients_test.go with /usr/bin/python3; the endpoint, keys and a
scratch directory come from the environment (S3GW_ENDPOINT, S3GW_ACCESS_KEY,
S3GW_SECRET_KEY, S3GW_REGION, S3GW_TMP). Each check prints one line; the
first failure raises, so the exit status tells the Go test.
"""

import hashlib
import os
import sys
import urllib.request

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

ENDPOINT = os.environ["S3GW_ENDPOINT"]
TMP = os.environ["S3GW_TMP"]


def client():
    return boto3.session.Session().client(
        "s3",
        endpoint_url=ENDPOINT,
        aws_access_key_id=os.environ["S3GW_ACCESS_KEY"],
        aws_secret_access_key=os.environ["S3GW_SECRET_KEY"],
        region_name=os.environ["S3GW_REGION"],
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, signature_version="s3v4"),
    )


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok   " + what)


def main():
    s3 = client()
    bucket = "boto3-suite"
    s3.create_bucket(Bucket=bucket)

    # put / get / head, with metadata and a key that needs escaping
    key = "dir/with space+plus-ünïcødé.txt"
    body = b"hello from boto3\n" * 100
    put = s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/plain", Metadata={"colour": "blue"})
    check(put["ETag"].strip('"') == hashlib.md5(body).hexdigest(), "put_object returns the MD5 ETag")
    got = s3.get_object(Bucket=bucket, Key=key)
    check(got["Body"].read() == body, "get_object returns the bytes")
    head = s3.head_object(Bucket=bucket, Key=key)
    check(head["ContentLength"] == len(body) and head["ContentType"] == "text/plain", "head_object returns length and type")
    check(head["Metadata"].get("colour") == "blue", "user metadata round-trips")

    # list pagination: 23 keys, pages of 5
    for i in range(23):
        s3.put_object(Bucket=bucket, Key="page/%02d" % i, Body=b"x")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="page/", PaginationConfig={"PageSize": 5})
    keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
    check(keys == ["page/%02d" % i for i in range(23)], "list_objects_v2 paginator returns every key once, in order")
    delimited = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    check([p["Prefix"] for p in delimited.get("CommonPrefixes", [])] == ["dir/", "page/"], "delimiter gives common prefixes")

    # multipart through upload_file (12 MiB in 5 MiB parts)
    path = os.path.join(TMP, "big.bin")
    data = os.urandom(12 * 1024 * 1024)
    with open(path, "wb") as f:
        f.write(data)
    cfg = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024, max_concurrency=4)
    s3.upload_file(path, bucket, "big.bin", Config=cfg)
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    parts = [data[i:i + 5 * 1024 * 1024] for i in range(0, len(data), 5 * 1024 * 1024)]
    want = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + "-%d" % len(parts)
    check(head["ETag"].strip('"') == want, "upload_file makes a multipart object with S3's ETag")
    down = os.path.join(TMP, "down.bin")
    s3.download_file(bucket, "big.bin", down, Config=cfg)
    with open(down, "rb") as f:
        check(f.read() == data, "download_file reads it back byte for byte")

    # copy
    s3.copy_object(Bucket=bucket, Key="copy.txt", CopySource={"Bucket": bucket, "Key": key})
    check(s3.get_object(Bucket=bucket, Key="copy.txt")["Body"].read() == body, "copy_object copies the bytes")

    # presigned GET and PUT, used with plain urllib
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    with urllib.request.urlopen(url) as resp:
        check(resp.read() == body, "a presigned GET URL works without credentials")
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "presigned-put.txt"}, ExpiresIn=300)
    req = urllib.request.Request(url, data=b"uploaded via presign", method="PUT")
    with urllib.request.urlopen(req) as resp:
        check(resp.status == 200, "a presigned PUT URL accepts an upload")
    check(s3.get_object(Bucket=bucket, Key="presigned-put.txt")["Body"].read() == b"uploaded via presign", "the presigned upload is stored")

    # delete_objects, then the bucket
    listing = s3.list_objects_v2(Bucket=bucket)
    objs = [{"Key": o["Key"]} for o in listing["Contents"]]
    out = s3.delete_objects(Bucket=bucket, Delete={"Objects": objs})
    check(len(out.get("Deleted", [])) == len(objs) and not out.get("Errors"), "delete_objects deletes every key")
    check(s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0, "the bucket is empty afterwards")
    s3.delete_bucket(Bucket=bucket)
    print("boto3 suite passed")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report the failing step and its cause on one line
        print("FAIL " + type(e).__name__ + ": " + str(e))
        sys.exit(1)
