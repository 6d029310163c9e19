-- wrk script: POST / with an empty JSON object, as a DynamoDB call would (bench/latency's
-- stand-in alone).
wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
