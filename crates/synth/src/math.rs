//! Exponentials and logarithms that give the same bits on every platform.
//!
//! The standard library's `exp` and `ln` call the system's C library, whose results differ in
//! the last place between systems; these come from `libm`, a Rust implementation, so a seed
//! generates byte-identical tape files wherever it runs. (`sqrt` is exact everywhere.)

pub fn exp(x: f64) -> f64 {
    libm::exp(x)
}

pub fn ln(x: f64) -> f64 {
    libm::log(x)
}
