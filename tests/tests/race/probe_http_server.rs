//! `probe-http-server`: a hostile wasi:http server. Its runs are the hostile tests'
//! (host/tests/hostile, round 3), which judge the command as a user calls it.
