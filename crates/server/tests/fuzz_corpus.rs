//! The committed fuzz seeds, run through the same checks as the fuzz targets (`fuzz/`), so that
//! every input that once found a bug, and the seeds that show each target its grammar, stay
//! covered on the stable toolchain.

use std::path::Path;

use server::fuzzing::TARGETS;

#[test]
fn every_committed_seed_passes_its_target_check() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds");
    for (target, check) in TARGETS {
        let folder = seeds.join(target);
        let mut files: Vec<_> = std::fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("seed folder {}: {e}", folder.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no seeds for {target}");
        for file in files {
            let data = std::fs::read(&file).unwrap();
            // Name the file before a failing check panics.
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{target}: seed {} fails", file.display());
        }
    }
}
