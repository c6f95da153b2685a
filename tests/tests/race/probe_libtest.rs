//! `probe-libtest`: a fake libtest binary with hostile listings. Its runs are the hostile
//! tests' (host/tests/hostile, round 3), which judge the command as a user calls it.
