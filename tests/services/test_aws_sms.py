"""Reading the SMS the stack's SNS sent, from moto's request record (LocalStack's log is read the same way)."""

from __future__ import annotations

from collections.abc import Callable

import boto3

from harness.services import aws
from harness.services.launch import Launch


def test_sent_sms_reads_back_each_publish_to_a_phone_number(start_native: Callable[..., Launch]) -> None:
    launch = start_native(aws.SERVICE, aws="moto")
    url = launch.endpoints["aws_endpoint_url"]
    assert launch.info.implementation == aws.MOTO
    assert aws.sent_sms(url, launch.info.implementation) == []
    sns = boto3.client(
        "sns", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    sns.publish(PhoneNumber="+15550100001", Message="Your code is 123456")
    topic = sns.create_topic(Name="not-an-sms")["TopicArn"]
    sns.publish(TopicArn=topic, Message="to a topic, not a phone")  # negative control: not an SMS
    sns.publish(PhoneNumber="+15550100002", Message="second")
    assert aws.sent_sms(url, launch.info.implementation) == [
        ("+15550100001", "Your code is 123456"),
        ("+15550100002", "second"),
    ]
