//! Fuzz target `document_edits`: see `tagls_fuzz::document_edits` for the input format and the
//! properties checked.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tagls_fuzz::document_edits(data));
