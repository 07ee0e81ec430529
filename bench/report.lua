-- Shared by every arca-bench wrk script: prints the run's figures as one JSON line that
-- arca-bench parses (exact microsecond percentiles, and every error class wrk counts).
-- wrk counts a response as a status error when its status is 400 or above.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'ARCA_BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
    '"status_errors":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.status, e.connect, e.read, e.write, e.timeout))
end
