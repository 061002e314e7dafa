//! The libFuzzer target: every input goes through the same harness as the stable driver.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    stagefile_fuzz::check(data);
});
