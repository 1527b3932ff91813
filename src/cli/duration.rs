//! Durations on the command line: `500ms`, `2s`, `10m`, `1h`, or a bare number of seconds.

use std::time::Duration;

/// Parses `500ms`, `2s`, `10m`, `1h`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (use e.g. 500ms, 2s, 10m)"))?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (use ms, s, m or h)")),
    };
    if !secs.is_finite() || !(0.0..=86_400.0 * 7.0).contains(&secs) {
        return Err(format!("{s:?}: out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// [`parse_duration`] for a deadline (a timeout): at least 1 ms. A zero deadline would
/// fail every wait at once (or, for `MIGRATE`, mean "no timeout" to the server).
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d < Duration::from_millis(1) {
        return Err(format!(
            "{:?}: a timeout must be at least 1ms (e.g. 500ms, 2s)",
            s.trim()
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_not_zero() {
        for zero in ["0", "0s", "0ms", "0.0001s", "0m"] {
            let e = parse_timeout(zero).unwrap_err();
            assert!(e.contains("at least 1ms"), "{zero}: {e}");
        }
        assert_eq!(parse_timeout("1ms"), Ok(Duration::from_millis(1)));
        assert_eq!(parse_timeout("2s"), Ok(Duration::from_secs(2)));
        assert!(parse_timeout("2x").is_err());
        // A wait may be zero: `--wait 0s` waits for nothing.
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("2x").is_err());
        assert!(parse_duration("").is_err());
    }

    proptest::proptest! {
        #[test]
        fn parse_duration_never_panics(s in "\\PC{0,20}|[0-9.]{0,12}(ms|s|m|h)?") {
            if let Ok(d) = parse_duration(&s) {
                proptest::prop_assert!(d <= Duration::from_secs(7 * 86_400));
            }
        }

        #[test]
        fn parse_duration_reads_milliseconds(ms in 0u64..604_800_000) {
            let d = parse_duration(&format!("{ms}ms")).unwrap();
            proptest::prop_assert!(d.abs_diff(Duration::from_millis(ms)) < Duration::from_micros(1));
        }
    }
}
