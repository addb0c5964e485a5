//! Fuzz target `envfile`: see `tagls_fuzz::envfile` for the input format and the
//! properties checked.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tagls_fuzz::envfile(data));
