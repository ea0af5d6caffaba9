//! Phase timings as data. The pipeline records how long each phase took;
//! the command line prints them when `DRIFTGATE_TIMINGS` is set (profiling
//! aid, README's Performance section). Recording costs one clock read per
//! phase, so it is always on.

use std::time::{Duration, Instant};

/// One finished phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    pub name: String,
    pub elapsed: Duration,
}

/// Records phases in order; each `mark` closes the phase that began at the
/// previous mark (or at creation).
#[derive(Debug, Clone)]
pub struct Timings {
    last: Instant,
    pub phases: Vec<Phase>,
}

impl Default for Timings {
    fn default() -> Self {
        Timings::new()
    }
}

impl Timings {
    pub fn new() -> Timings {
        Timings {
            last: Instant::now(),
            phases: Vec::new(),
        }
    }

    /// Closes the current phase under `name` and starts the next one.
    pub fn mark(&mut self, name: &str) {
        let now = Instant::now();
        self.phases.push(Phase {
            name: name.to_string(),
            elapsed: now - self.last,
        });
        self.last = now;
    }

    /// Appends phases recorded elsewhere (a sub-step), each name prefixed.
    pub fn extend_prefixed(&mut self, prefix: &str, phases: &[Phase]) {
        self.phases.extend(phases.iter().map(|p| Phase {
            name: format!("{prefix}{}", p.name),
            elapsed: p.elapsed,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_record_phases_in_order() {
        let mut t = Timings::new();
        t.mark("a");
        std::thread::sleep(Duration::from_millis(2));
        t.mark("b");
        let names: Vec<&str> = t.phases.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert!(t.phases[1].elapsed >= Duration::from_millis(2));
        let mut u = Timings::new();
        u.extend_prefixed("base: ", &t.phases);
        assert_eq!(u.phases[1].name, "base: b");
    }
}
