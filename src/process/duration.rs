//! How a duration reads wherever a user sees one: time-outs in messages, the `timeout:` of
//! a generated CI file, how long a step took in the log.

use std::time::Duration;

/// `1h 30m`, `1m 30s`, `1s 500ms`: the form humantime writes, which is also the form a user
/// writes in a configuration file and GitLab reads. Below a millisecond is dropped.
pub fn humanize(duration: Duration) -> String {
    let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    humantime::format_duration(Duration::from_millis(millis)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(humanize(Duration::ZERO), "0s");
        assert_eq!(humanize(Duration::from_secs(90)), "1m 30s");
        assert_eq!(humanize(Duration::from_secs(3600 + 300)), "1h 5m");
        assert_eq!(humanize(Duration::from_millis(1500)), "1s 500ms");
        assert_eq!(humanize(Duration::from_nanos(2_345_678_901)), "2s 345ms");
    }
}
