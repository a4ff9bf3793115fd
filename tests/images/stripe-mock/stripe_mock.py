#!/usr/local/bin/python3
"""``stripe-mock`` of the stripe-mock stand-in image: the harness's Stripe fake on 0.0.0.0:12111 (HTTP only;
stripe-mock's HTTPS port 12112 is not served)."""

import uvicorn

from harness.services.stripe.fake import build_app

if __name__ == "__main__":
    uvicorn.run(build_app(), host="0.0.0.0", port=12111, log_level="warning")  # container side; published on 127.0.0.1
