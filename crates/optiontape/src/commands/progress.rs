//! Progress of long-running work: a bar on a terminal, a log line every tenth otherwise.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

/// Progress toward a known total.
pub struct Progress {
    bar: Option<ProgressBar>,
    what: String,
    total: AtomicU64,
    /// The last tenth logged, when there is no bar.
    logged: AtomicU64,
}

impl Progress {
    /// `unit` names what is counted ("sessions", "bytes").
    pub fn new(what: &str, total: u64, unit: &str) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let template = if unit == "bytes" {
                "{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)".to_string()
            } else {
                format!("{{msg}} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{eta}} left)")
            };
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(&template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_message(what.to_string());
            bar
        });
        Progress {
            bar,
            what: what.to_string(),
            total: AtomicU64::new(total),
            logged: AtomicU64::new(0),
        }
    }

    /// Sets how much is done, of a total that may have become known only now.
    pub fn update(&self, done: u64, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        match &self.bar {
            Some(bar) => {
                bar.set_length(total);
                bar.set_position(done);
            }
            None => {
                let tenth = (done * 10).checked_div(total).unwrap_or(10);
                if self.logged.fetch_max(tenth, Ordering::Relaxed) < tenth {
                    tracing::info!("{}: {}%", self.what, tenth * 10);
                }
            }
        }
    }

    /// Sets how much is done of the total given at the start.
    pub fn set(&self, done: u64) {
        self.update(done, self.total.load(Ordering::Relaxed));
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
