"""Test harness: real servers on free loopback ports, started once per session.

Each server is a pytest plugin module here, listed in `tests/conftest.py`. A server
publishes its address through the environment so boto3 / the stripe SDK pick it up
unchanged (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_DYNAMODB`, ...).
"""
