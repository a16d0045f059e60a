#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| server::fuzzing::page_round_trip(data));
