//! Exit codes, one enum, and the precedence when several apply.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | clean |
//! | 1 | usage or fatal error |
//! | 2 | finished, but something could not be read |
//! | 3 | findings (audit gaps, integrity failures) |
//! | 4 | inconclusive: nothing in scope could be judged |
//!
//! Precedence: 1 > 3 > 4 > 2 > 0. `test-pattern` exits 0 whether or not
//! anything matches, as TestMetricFilter answers either way.

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything was read; nothing to report.
    Clean,
    /// Bad arguments, or an error that stopped the run.
    Fatal,
    /// Finished, but some objects (or parts of them) could not be read.
    Partial,
    /// Findings: audit gaps.
    Findings,
    /// Nothing in scope could be judged.
    Inconclusive,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Clean => 0,
            Exit::Fatal => 1,
            Exit::Partial => 2,
            Exit::Findings => 3,
            Exit::Inconclusive => 4,
        }
    }

    fn rank(self) -> u8 {
        match self {
            Exit::Clean => 0,
            Exit::Partial => 1,
            Exit::Inconclusive => 2,
            Exit::Findings => 3,
            Exit::Fatal => 4,
        }
    }

    /// The one that wins when both apply.
    pub fn max(self, other: Exit) -> Exit {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_is_fatal_findings_inconclusive_partial_clean() {
        use Exit::*;
        let order = [Clean, Partial, Inconclusive, Findings, Fatal];
        for (i, a) in order.iter().enumerate() {
            for (j, b) in order.iter().enumerate() {
                assert_eq!(a.max(*b), order[i.max(j)], "{a:?} {b:?}");
            }
        }
        assert_eq!(Findings.code(), 3);
        assert_eq!(Inconclusive.code(), 4);
    }
}
