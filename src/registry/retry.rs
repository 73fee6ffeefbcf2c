//! How patiently an operation that may fail for a moment (a request to a registry, a push) is
//! tried again: a bounded number of tries, waits that double up to a cap, each shortened by
//! a random share so that clients that failed together do not come back together, and a
//! server's `Retry-After` honoured up to a cap of its own.

use std::fmt::Display;
use std::time::{Duration, SystemTime};

use crate::process::sleep_unless_stopping;

/// How many tries, and how long between them.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Tries in all, the first included; 1 never tries again.
    pub attempts: u32,
    /// The wait after the first failure; each later wait doubles, up to `cap`.
    pub base: Duration,
    pub cap: Duration,
    /// The share of each wait drawn at random: 0 waits the whole of it, 0.5 anywhere from
    /// half of it to all of it.
    pub jitter: f64,
    /// The longest wait a server's `Retry-After` can ask for.
    pub retry_after_cap: Duration,
}

impl Default for RetryPolicy {
    /// Five tries over about eight seconds: enough to ride out a registry restarting or
    /// shedding load, short enough that a registry that is down is reported soon.
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 5,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(8),
            jitter: 0.5,
            retry_after_cap: Duration::from_secs(60),
        }
    }
}

/// Why one try failed, and whether another may do better.
#[derive(Debug)]
pub struct Failure<E> {
    pub error: E,
    pub retry: Retry,
}

/// Whether a failed try is worth another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// The same try would fail the same way.
    No,
    /// Another try may succeed, after the policy's wait or the one the other side asked for.
    Yes { after: Option<Duration> },
}

impl<E> Failure<E> {
    pub fn permanent(error: E) -> Failure<E> {
        Failure {
            error,
            retry: Retry::No,
        }
    }

    pub fn transient(error: E) -> Failure<E> {
        Failure::transient_after(error, None)
    }

    /// A failure the other side asked to be retried after `after` (its `Retry-After`).
    pub fn transient_after(error: E, after: Option<Duration>) -> Failure<E> {
        Failure {
            error,
            retry: Retry::Yes { after },
        }
    }
}

/// The last failure of an operation, and how many tries it had.
#[derive(Debug, Clone, PartialEq)]
pub struct GaveUp<E> {
    pub error: E,
    pub tries: u32,
}

impl RetryPolicy {
    /// Runs `operation` until it succeeds, fails for good, or has had every try; between
    /// tries the thread sleeps. Each failure that is tried again goes to the log.
    pub fn run_blocking<T, E: Display>(
        &self,
        mut operation: impl FnMut() -> Result<T, Failure<E>>,
    ) -> Result<T, GaveUp<E>> {
        let mut tries = 0;
        loop {
            tries += 1;
            let failure = match operation() {
                Ok(value) => return Ok(value),
                Err(failure) => failure,
            };
            // An interruption ends the waiting, and the tries.
            match self.wait_after(tries, failure.retry) {
                Some(wait) if sleep_unless_stopping(self.noted(&failure, tries, wait)) => {}
                _ => return Err(self.gave_up(failure, tries)),
            }
        }
    }

    /// [`RetryPolicy::run_blocking`] for async code: the task sleeps between tries.
    pub async fn run<T, E: Display>(
        &self,
        mut operation: impl AsyncFnMut() -> Result<T, Failure<E>>,
    ) -> Result<T, GaveUp<E>> {
        let mut tries = 0;
        loop {
            tries += 1;
            let failure = match operation().await {
                Ok(value) => return Ok(value),
                Err(failure) => failure,
            };
            match self.wait_after(tries, failure.retry) {
                Some(wait) => tokio::time::sleep(self.noted(&failure, tries, wait)).await,
                None => return Err(self.gave_up(failure, tries)),
            }
        }
    }

    /// The wait before the next try after `tries` tries, the last of which failed as
    /// `retry` says; `None` when there is to be no other.
    pub fn wait_after(&self, tries: u32, retry: Retry) -> Option<Duration> {
        match retry {
            Retry::Yes { .. } if tries >= self.attempts => None,
            Retry::Yes { after: Some(asked) } => Some(asked.min(self.retry_after_cap)),
            Retry::Yes { after: None } => Some(self.backoff(tries)),
            Retry::No => None,
        }
    }

    /// The wait after the `failures`-th failure: `base`, doubled for each earlier failure,
    /// at most `cap`, less its random share.
    pub fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        let full = self.base.saturating_mul(1 << doublings).min(self.cap);
        let jitter = self.jitter.clamp(0.0, 1.0);
        full.mul_f64(1.0 - jitter * fastrand::f64())
    }

    /// Logs that `failure` is tried again after `wait`, and gives `wait`.
    fn noted<E: Display>(&self, failure: &Failure<E>, tries: u32, wait: Duration) -> Duration {
        log::info!(
            "{}; trying again in {wait:.1?} ({tries} of {} tries made)",
            failure.error,
            self.attempts
        );
        wait
    }

    fn gave_up<E>(&self, failure: Failure<E>, tries: u32) -> GaveUp<E> {
        GaveUp {
            error: failure.error,
            tries,
        }
    }
}

/// The wait a `Retry-After` value asks for, seconds or an HTTP date, as of `now`; `None`
/// for a value that is neither. A date in the past asks for no wait.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// "1 try", "5 tries": how many tries a message says there were.
pub fn tries_text(tries: u32) -> String {
    match tries {
        1 => "1 try".to_owned(),
        n => format!("{n} tries"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(attempts: u32) -> RetryPolicy {
        RetryPolicy {
            attempts,
            base: Duration::from_millis(100),
            cap: Duration::from_millis(350),
            jitter: 0.0,
            retry_after_cap: Duration::from_secs(2),
        }
    }

    #[test]
    fn waits_double_up_to_the_cap() {
        let waits: Vec<u128> = (1..=5).map(|n| policy(9).backoff(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 350, 350, 350]);
        assert_eq!(policy(9).backoff(1000), Duration::from_millis(350));
    }

    #[test]
    fn jitter_only_shortens_a_wait_by_its_share() {
        let jittery = RetryPolicy {
            jitter: 0.5,
            ..policy(9)
        };
        let waits: Vec<Duration> = (0..200).map(|_| jittery.backoff(2)).collect();
        assert!(
            waits
                .iter()
                .all(|w| w.as_millis() >= 100 && w.as_millis() <= 200)
        );
        assert!(waits.iter().any(|w| *w != waits[0]), "{waits:?}");
    }

    #[test]
    fn retry_after_wins_over_backoff_up_to_its_cap() {
        let after = |secs| Retry::Yes {
            after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(
            policy(3).wait_after(1, after(1)),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            policy(3).wait_after(1, after(3600)),
            Some(Duration::from_secs(2))
        );
        assert_eq!(policy(3).wait_after(3, after(1)), None);
        assert_eq!(policy(3).wait_after(1, Retry::No), None);
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        for later in [
            "Sun, 06 Nov 1994 08:50:07 GMT",
            "Sunday, 06-Nov-94 08:50:07 GMT",
            "Sun Nov  6 08:50:07 1994",
        ] {
            assert_eq!(
                retry_after(later, now),
                Some(Duration::from_secs(30)),
                "{later}"
            );
        }
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-5", now), None);
    }

    #[test]
    fn stops_at_the_last_try_and_says_how_many() {
        let mut calls = 0;
        let result: Result<(), GaveUp<&str>> = policy(3).run_blocking(|| {
            calls += 1;
            Err(Failure::transient_after("busy", Some(Duration::ZERO)))
        });
        assert_eq!(
            result,
            Err(GaveUp {
                error: "busy",
                tries: 3
            })
        );
        assert_eq!(calls, 3);
    }

    #[test]
    fn a_permanent_failure_is_not_tried_again() {
        let mut calls = 0;
        let result: Result<(), GaveUp<&str>> = policy(5).run_blocking(|| {
            calls += 1;
            Err(Failure::permanent("no such image"))
        });
        assert_eq!(result.unwrap_err().tries, 1);
        assert_eq!(calls, 1);
    }

    #[test]
    fn success_after_failures() {
        let mut calls = 0;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let result: Result<u32, GaveUp<&str>> = runtime.block_on(policy(5).run(async || {
            calls += 1;
            if calls < 3 {
                Err(Failure::transient("flaky"))
            } else {
                Ok(calls)
            }
        }));
        assert_eq!(result, Ok(3));
    }

    #[test]
    fn tries_in_words() {
        assert_eq!(tries_text(1), "1 try");
        assert_eq!(tries_text(5), "5 tries");
    }
}
